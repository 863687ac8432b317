package spatial

import "fmt"

// MirrorEntity is an entity as a cell's deltas describe it.
type MirrorEntity struct {
	Enter // id, slot, template, kind, level and the current state
}

// Mirror rebuilds cells from their deltas, as a gateway does for the cells
// it subscribes to. Positions stay in wire units, so the mirror matches
// what the zone published exactly.
type Mirror struct {
	cells map[uint32]*mirrorCell // by cx | cy<<16
}

type mirrorCell struct {
	size  uint16
	slots []MirrorEntity // by slot; ID 0 marks a free slot
	tick  uint32
}

// NewMirror returns an empty mirror.
func NewMirror() *Mirror { return &Mirror{cells: map[uint32]*mirrorCell{}} }

func key(cx, cy uint16) uint32 { return uint32(cx) | uint32(cy)<<16 }

// Apply applies one cell's delta: leaves, enters, moves, steps, states, in
// that order. A delta for a cell the mirror has not seen in full is an
// error, as is a record naming a free slot: the deltas of a cell must
// arrive in order and complete.
func (m *Mirror) Apply(c *CellChanges) error {
	k := key(c.CX, c.CY)
	cell := m.cells[k]
	if c.Full {
		cell = &mirrorCell{}
		m.cells[k] = cell
	}
	if cell == nil {
		return fmt.Errorf("cell (%d, %d): delta before its full state", c.CX, c.CY)
	}
	cell.size, cell.tick = c.CellSize, c.Tick
	get := func(slot uint16) (*MirrorEntity, error) {
		if int(slot) >= len(cell.slots) || cell.slots[slot].ID == 0 {
			return nil, fmt.Errorf("cell (%d, %d) tick %d: slot %d is free", c.CX, c.CY, c.Tick, slot)
		}
		return &cell.slots[slot], nil
	}
	for _, s := range c.Leaves {
		if _, err := get(s); err != nil {
			return err
		}
		cell.slots[s] = MirrorEntity{}
	}
	for _, e := range c.Enters {
		for int(e.Slot) >= len(cell.slots) {
			cell.slots = append(cell.slots, MirrorEntity{})
		}
		if cell.slots[e.Slot].ID != 0 {
			return fmt.Errorf("cell (%d, %d) tick %d: enter into taken slot %d", c.CX, c.CY, c.Tick, e.Slot)
		}
		cell.slots[e.Slot] = MirrorEntity{Enter: e}
	}
	for _, mv := range c.Moves {
		e, err := get(mv.Slot)
		if err != nil {
			return err
		}
		e.X, e.Y = mv.X, mv.Y
	}
	for _, st := range c.Steps {
		e, err := get(st.Slot)
		if err != nil {
			return err
		}
		e.X, e.Y = uint16(int(e.X)+int(st.DX)), uint16(int(e.Y)+int(st.DY))
	}
	for _, st := range c.States {
		e, err := get(st.Slot)
		if err != nil {
			return err
		}
		e.Heading, e.Health, e.Anim, e.Flags = st.Heading, st.Health, st.Anim, st.Flags
	}
	return nil
}

// Drop forgets a cell (after unsubscribing).
func (m *Mirror) Drop(cx, cy uint16) { delete(m.cells, key(cx, cy)) }

// Each calls fn for every mirrored entity with its absolute position in
// metres.
func (m *Mirror) Each(fn func(e *MirrorEntity, x, y float64)) {
	for k, cell := range m.cells {
		ox := float64(k&0xffff) * float64(cell.size)
		oy := float64(k>>16) * float64(cell.size)
		for i := range cell.slots {
			if e := &cell.slots[i]; e.ID != 0 {
				fn(e, ox+DequantizeOffset(e.X), oy+DequantizeOffset(e.Y))
			}
		}
	}
}

// EachIn calls fn for every entity of one cell, with its absolute position
// in wire units (1/256 m); false if the mirror does not hold the cell.
func (m *Mirror) EachIn(cx, cy uint16, fn func(e *MirrorEntity, x, y int32)) bool {
	cell := m.cells[key(cx, cy)]
	if cell == nil {
		return false
	}
	ox, oy := int32(cx)*int32(cell.size)*PosSteps, int32(cy)*int32(cell.size)*PosSteps
	for i := range cell.slots {
		if e := &cell.slots[i]; e.ID != 0 {
			fn(e, ox+int32(e.X), oy+int32(e.Y))
		}
	}
	return true
}

// Len counts the mirrored entities.
func (m *Mirror) Len() int {
	n := 0
	m.Each(func(*MirrorEntity, float64, float64) { n++ })
	return n
}
