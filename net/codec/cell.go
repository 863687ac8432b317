package codec

import (
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/wire"
)

// CellDeltaEncoder encodes one cell's changes (spatial.CellChanges) as a
// CellDelta with a reused builder. Not safe for concurrent use.
type CellDeltaEncoder struct {
	b     *flatbuffers.Builder
	ident [4]byte
}

// NewCellDeltaEncoder returns an encoder whose builder grows to the largest
// delta it has encoded.
func NewCellDeltaEncoder() *CellDeltaEncoder {
	return &CellDeltaEncoder{b: flatbuffers.NewBuilder(4 << 10), ident: ident(identCellDelta)}
}

// Encode returns c's bytes, valid until the next call. Empty vectors are
// left out and cost nothing.
func (e *CellDeltaEncoder) Encode(c *spatial.CellChanges) []byte {
	b := e.b
	b.Reset()
	var steps, moves, states, enters, leaves flatbuffers.UOffsetT
	if n := len(c.Steps); n > 0 {
		b.StartVector(sizeCellStep, n, 2)
		for i := n - 1; i >= 0; i-- {
			s := &c.Steps[i]
			wire.CreateCellStep(b, s.Slot, s.DX, s.DY)
		}
		steps = b.EndVector(n)
	}
	if n := len(c.Moves); n > 0 {
		b.StartVector(sizeCellMove, n, 2)
		for i := n - 1; i >= 0; i-- {
			m := &c.Moves[i]
			wire.CreateCellMove(b, m.Slot, m.X, m.Y)
		}
		moves = b.EndVector(n)
	}
	if n := len(c.States); n > 0 {
		b.StartVector(sizeCellState, n, 2)
		for i := n - 1; i >= 0; i-- {
			s := &c.States[i]
			wire.CreateCellState(b, s.Slot, s.Heading, s.Health, s.Anim, s.Flags)
		}
		states = b.EndVector(n)
	}
	if n := len(c.Enters); n > 0 {
		b.StartVector(sizeCellEnter, n, 4)
		for i := n - 1; i >= 0; i-- {
			s := &c.Enters[i]
			wire.CreateCellEnter(b, s.ID, s.Slot, s.Template, s.X, s.Y, wire.EntityKind(s.Kind), s.Heading, s.Health, s.Anim, s.Flags, s.Level)
		}
		enters = b.EndVector(n)
	}
	if n := len(c.Leaves); n > 0 {
		b.StartVector(2, n, 2)
		for i := n - 1; i >= 0; i-- {
			b.PrependUint16(c.Leaves[i])
		}
		leaves = b.EndVector(n)
	}
	wire.CellDeltaStart(b)
	wire.CellDeltaAddTick(b, c.Tick)
	addOffset(b, wire.CellDeltaAddSteps, steps)
	addOffset(b, wire.CellDeltaAddMoves, moves)
	addOffset(b, wire.CellDeltaAddStates, states)
	addOffset(b, wire.CellDeltaAddEnters, enters)
	addOffset(b, wire.CellDeltaAddLeaves, leaves)
	wire.CellDeltaAddCx(b, c.CX)
	wire.CellDeltaAddCy(b, c.CY)
	if c.CellSize != 0 {
		wire.CellDeltaAddCellSize(b, c.CellSize)
	}
	if c.Full {
		wire.CellDeltaAddFull(b, true)
	}
	b.FinishWithFileIdentifier(wire.CellDeltaEnd(b), e.ident[:])
	return b.FinishedBytes()
}

// ReadCellDelta decodes buf (at most max bytes) into c, reusing c's memory:
// no allocation once c's slices are large enough.
func ReadCellDelta(buf []byte, max int, c *spatial.CellChanges) error {
	var w wire.CellDelta
	if err := DecodeCellDelta(buf, max, &w); err != nil {
		return err
	}
	c.Reset()
	c.CX, c.CY, c.Tick, c.CellSize, c.Full = w.Cx(), w.Cy(), w.Tick(), w.CellSize(), w.Full()
	t := w.Table()
	var st wire.CellStep
	start, n := vector(t, 14)
	for i := 0; i < n; i++ {
		st.Init(t.Bytes, start+flatbuffers.UOffsetT(i*sizeCellStep))
		c.Steps = append(c.Steps, spatial.Step{Slot: st.Slot(), DX: st.Dx(), DY: st.Dy()})
	}
	var mv wire.CellMove
	start, n = vector(t, 16)
	for i := 0; i < n; i++ {
		mv.Init(t.Bytes, start+flatbuffers.UOffsetT(i*sizeCellMove))
		c.Moves = append(c.Moves, spatial.Move{Slot: mv.Slot(), X: mv.X(), Y: mv.Y()})
	}
	var cs wire.CellState
	start, n = vector(t, 18)
	for i := 0; i < n; i++ {
		cs.Init(t.Bytes, start+flatbuffers.UOffsetT(i*sizeCellState))
		c.States = append(c.States, spatial.State{Slot: cs.Slot(), Heading: cs.Heading(), Health: cs.Health(), Anim: cs.Anim(), Flags: cs.Flags()})
	}
	var en wire.CellEnter
	start, n = vector(t, 20)
	for i := 0; i < n; i++ {
		en.Init(t.Bytes, start+flatbuffers.UOffsetT(i*sizeCellEnter))
		c.Enters = append(c.Enters, spatial.Enter{ID: en.Id(), Slot: en.Slot(), Template: en.Template(), X: en.X(), Y: en.Y(),
			Kind: uint8(en.Kind()), Heading: en.Heading(), Health: en.Health(), Anim: en.Anim(), Flags: en.Flags(), Level: en.Level()})
	}
	start, n = vector(t, 22)
	for i := 0; i < n; i++ {
		c.Leaves = append(c.Leaves, t.GetUint16(start+flatbuffers.UOffsetT(i*2)))
	}
	return nil
}

// checkKinds fails if spatial's kind numbers drift from the wire enum.
func checkKinds() error {
	for k, w := range map[uint8]wire.EntityKind{spatial.KindUnknown: wire.EntityKindUnknown, spatial.KindPlayer: wire.EntityKindPlayer,
		spatial.KindNPC: wire.EntityKindNpc, spatial.KindObject: wire.EntityKindObject} {
		if k != uint8(w) {
			return fmt.Errorf("spatial kind %d is wire kind %d", k, w)
		}
	}
	return nil
}
