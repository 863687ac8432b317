package codec

import (
	"bytes"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// TestPackedRecordsMatchGenerated: the records packUpdates writes, copied
// as memory or placed as words, are byte for byte what the generated
// Create functions write.
func TestPackedRecordsMatchGenerated(t *testing.T) {
	if !recordsInWireLayout {
		t.Log("records are not in wire layout here: only the word-at-a-time way is used")
	}
	for _, copied := range []bool{true, false} {
		if copied && !recordsInWireLayout {
			continue
		}
		t.Run(map[bool]string{true: "copied", false: "placed"}[copied], func(t *testing.T) {
			defer func(was bool) { recordsInWireLayout = was }(recordsInWireLayout)
			recordsInWireLayout = copied
			testPackedRecords(t)
		})
	}
}

func testPackedRecords(t *testing.T) {
	u := sampleUpdates(7)
	u.Enters[3].Kind, u.Enters[3].Template, u.Enters[3].X, u.Enters[3].Y = wire.EntityKindPlayer, 0xBEEF, 0xFFFF, 0x1234
	u.States[2] = State{ID: 0xDEADBEEF, Heading: 0xA1, Health: 0xB2, Anim: 0xC3, Flags: 0xD4}
	u.Moves[5] = Move{ID: 0xFFFFFFFF, X: 0x8001, Y: 0x7FFE}

	got := flatbuffers.NewBuilder(0)
	o := packUpdates(got, &u)
	got.Finish(o.leaves) // any offset will do as the root: only the bytes are compared

	want := flatbuffers.NewBuilder(0)
	var w entityOffsets
	wire.SnapshotStartMovesVector(want, len(u.Moves))
	for i := len(u.Moves) - 1; i >= 0; i-- {
		m := u.Moves[i]
		wire.CreateEntityMove(want, m.ID, m.X, m.Y)
	}
	w.moves = want.EndVector(len(u.Moves))
	wire.SnapshotStartStatesVector(want, len(u.States))
	for i := len(u.States) - 1; i >= 0; i-- {
		s := u.States[i]
		wire.CreateEntityState(want, s.ID, s.Heading, s.Health, s.Anim, s.Flags)
	}
	w.states = want.EndVector(len(u.States))
	wire.SnapshotStartEntersVector(want, len(u.Enters))
	for i := len(u.Enters) - 1; i >= 0; i-- {
		s := u.Enters[i]
		wire.CreateEntitySpawn(want, s.ID, s.Template, s.X, s.Y, s.Kind, s.Heading, s.Health, s.Anim, s.Flags, s.Level)
	}
	w.enters = want.EndVector(len(u.Enters))
	wire.SnapshotStartLeavesVector(want, len(u.Leaves))
	for i := len(u.Leaves) - 1; i >= 0; i-- {
		want.PrependUint32(u.Leaves[i])
	}
	w.leaves = want.EndVector(len(u.Leaves))
	want.Finish(w.leaves)

	if o != w {
		t.Fatalf("offsets %+v, generated %+v", o, w)
	}
	if !bytes.Equal(got.FinishedBytes(), want.FinishedBytes()) {
		t.Fatalf("packed bytes differ from the generated encoding:\n%x\n%x", got.FinishedBytes(), want.FinishedBytes())
	}
}
