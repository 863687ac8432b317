package spatial

// Kinds of entity, as the wire protocol numbers them (wire.EntityKind).
const (
	KindUnknown uint8 = 0
	KindPlayer  uint8 = 1
	KindNPC     uint8 = 2
	KindObject  uint8 = 3
)

// The records of one cell's changes during one tick, in wire units:
// positions in 1/256 m from the cell's corner, entities named by their slot
// in the cell. net/codec encodes them as a CellDelta.

// Step is a small position change: dx, dy in 1/256 m.
type Step struct {
	Slot   uint16
	DX, DY int8
}

// Move is an absolute position inside the cell.
type Move struct {
	Slot uint16
	X, Y uint16
}

// State is a change of visible state other than position.
type State struct {
	Slot                         uint16
	Heading, Health, Anim, Flags uint8
}

// Enter is an entity entering the cell, with its full visible state.
type Enter struct {
	ID                                        uint32
	Slot                                      uint16
	Template                                  uint16
	X, Y                                      uint16
	Kind, Heading, Health, Anim, Flags, Level uint8
}

// CellChanges is what changed in one cell during one tick.
type CellChanges struct {
	CX, CY   uint16
	Tick     uint32
	CellSize uint16 // metres; 0 means the protocol default (32)
	// Full marks the whole cell, for a gateway that just subscribed.
	Full   bool
	Steps  []Step
	Moves  []Move
	States []State
	Enters []Enter
	Leaves []uint16
}

// Reset empties the changes and keeps their memory.
func (c *CellChanges) Reset() {
	c.Full = false
	c.Steps, c.Moves, c.States, c.Enters, c.Leaves = c.Steps[:0], c.Moves[:0], c.States[:0], c.Enters[:0], c.Leaves[:0]
}

// Empty reports whether there is nothing to send.
func (c *CellChanges) Empty() bool {
	return !c.Full && len(c.Steps)+len(c.Moves)+len(c.States)+len(c.Enters)+len(c.Leaves) == 0
}

// Moved counts the entities whose position the changes carry.
func (c *CellChanges) Moved() int { return len(c.Steps) + len(c.Moves) }
