package codec

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// Move is a quantized position update (wire.EntityMove).
type Move struct {
	ID   uint32
	X, Y uint16
}

// State is a quantized change of visible state (wire.EntityState).
type State struct {
	ID                           uint32
	Heading, Health, Anim, Flags uint8
}

// Spawn is the full quantized state of an entity entering view
// (wire.EntitySpawn).
type Spawn struct {
	ID                                  uint32
	Template                            uint16
	X, Y                                uint16
	Kind                                wire.EntityKind
	Heading, Health, Anim, Flags, Level uint8
}

// Updates are the entity records one cell delta or snapshot carries.
type Updates struct {
	Moves  []Move
	States []State
	Enters []Spawn
	Leaves []uint32
}

// Reset empties the updates and keeps their memory.
func (u *Updates) Reset() {
	u.Moves, u.States, u.Enters, u.Leaves = u.Moves[:0], u.States[:0], u.Enters[:0], u.Leaves[:0]
}

// Len is the number of records.
func (u *Updates) Len() int { return len(u.Moves) + len(u.States) + len(u.Enters) + len(u.Leaves) }

// Snapshot is one player's view update.
type Snapshot struct {
	Seq, Baseline, Tick uint32
	OriginX, OriginY    int32 // whole metres
	TickUnixMs          int64
	// Self is the player's own entity, in full-state snapshots (0 in
	// deltas): the first snapshot of a new zone can come before the
	// Welcome naming the player's new entity.
	Self uint32
	Updates
}

// SnapshotBaselines bounds how far back a snapshot's baseline is: a gateway
// builds deltas only against one of the last SnapshotBaselines snapshots it
// sent the player (Baseline >= Seq - SnapshotBaselines; older: full state).
// A client that keeps its last SnapshotBaselines snapshots holds the baseline
// of every delta it gets, unless that baseline never arrived.
const SnapshotBaselines = 32

// readUpdates copies the four entity vectors of a checked table, starting at
// vtable slot first (moves, states, enters, leaves), into u, reusing u's
// memory. CellDelta and Snapshot share this layout.
func readUpdates(t flatbuffers.Table, first flatbuffers.VOffsetT, u *Updates) {
	u.Reset()
	var mv wire.EntityMove
	start, n := vector(t, first)
	for i := 0; i < n; i++ {
		mv.Init(t.Bytes, start+flatbuffers.UOffsetT(i*sizeMove))
		u.Moves = append(u.Moves, Move{ID: mv.Id(), X: mv.X(), Y: mv.Y()})
	}
	var st wire.EntityState
	start, n = vector(t, first+2)
	for i := 0; i < n; i++ {
		st.Init(t.Bytes, start+flatbuffers.UOffsetT(i*sizeState))
		u.States = append(u.States, State{ID: st.Id(), Heading: st.Heading(), Health: st.Health(), Anim: st.Anim(), Flags: st.Flags()})
	}
	var sp wire.EntitySpawn
	start, n = vector(t, first+4)
	for i := 0; i < n; i++ {
		sp.Init(t.Bytes, start+flatbuffers.UOffsetT(i*sizeSpawn))
		u.Enters = append(u.Enters, Spawn{ID: sp.Id(), Template: sp.Template(), X: sp.X(), Y: sp.Y(), Kind: sp.Kind(),
			Heading: sp.Heading(), Health: sp.Health(), Anim: sp.Anim(), Flags: sp.Flags(), Level: sp.Level()})
	}
	start, n = vector(t, first+6)
	for i := 0; i < n; i++ {
		u.Leaves = append(u.Leaves, t.GetUint32(start+flatbuffers.UOffsetT(i*4)))
	}
}

// vector returns where a checked vector's elements start and how many there
// are (0 when the field is absent).
func vector(t flatbuffers.Table, slot flatbuffers.VOffsetT) (flatbuffers.UOffsetT, int) {
	o := flatbuffers.UOffsetT(t.Offset(slot))
	if o == 0 {
		return 0, 0
	}
	return t.Vector(o), t.VectorLen(o)
}

// ReadSnapshot decodes buf into s, reusing s's memory.
func ReadSnapshot(buf []byte, s *Snapshot) error {
	var w wire.Snapshot
	if err := DecodeSnapshot(buf, &w); err != nil {
		return err
	}
	s.Seq, s.Baseline, s.Tick = w.Seq(), w.Baseline(), w.Tick()
	s.OriginX, s.OriginY, s.TickUnixMs, s.Self = w.OriginX(), w.OriginY(), w.TickUnixMs(), w.Self()
	readUpdates(w.Table(), 16, &s.Updates)
	return nil
}
