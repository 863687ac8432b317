package spatial

import (
	"fmt"
	"math/bits"

	arche "github.com/mlange-42/arche/ecs"
)

// NoCell is the cell of an entity that is in none (not yet placed, or gone).
const NoCell int32 = -1

// Cells is the interest grid: square cells over the terrain, the entities
// in each, and what changed in each during the current tick. An entity in a
// cell has a slot there, which names it in the cell's deltas.
type Cells struct {
	size   float32 // cell edge, metres
	nx, ny int
	cells  []cell
	dirty  []int32 // cells with changes this tick
	held   int     // entities in all cells

	// Where the cells' tables come from (slab.go): their slots from slabs,
	// a tick's changes from arenas.
	slots  slab[arche.Entity]
	taken  slab[uint64]
	steps  tickArena[Step]
	moves  tickArena[Move]
	states tickArena[State]
	enters tickArena[Enter]
	leaves tickArena[uint16]
}

// A cell hands out its lowest free slot, and its table ends at the highest
// slot taken: slot numbers stay as low as the cell's crowd, and its table
// follows the crowd down as well as up (a table three quarters empty moves
// to a piece half its size), so the memory a zone holds follows the
// entities in it now, not the most each cell ever held.
type cell struct {
	slots   []arche.Entity // by slot, up to the highest taken; the zero Entity marks a free slot
	taken   []uint64       // a bit a slot of the table's room, set while the slot is taken
	count   int
	changes CellChanges
	dirty   bool
}

// MaxCellSize is the largest cell edge the wire protocol can carry.
const MaxCellSize = 255

// NewCells returns the interest grid for an area of w × h metres.
func NewCells(w, h float32, size int) (*Cells, error) {
	if size < 1 || size > MaxCellSize {
		return nil, fmt.Errorf("interest cell size %d m: must be 1..%d", size, MaxCellSize)
	}
	nx, ny := int(w/float32(size))+1, int(h/float32(size))+1
	if nx > 1<<16 || ny > 1<<16 {
		return nil, fmt.Errorf("interest grid of %d × %d cells: at most 65536 per side", nx, ny)
	}
	c := &Cells{size: float32(size), nx: nx, ny: ny, cells: make([]cell, nx*ny), dirty: make([]int32, 0, min(nx*ny, 1<<14))}
	c.slots.most, c.taken.most = len(c.cells), len(c.cells)
	for i := range c.cells {
		cx, cy := c.Coords(int32(i))
		c.cells[i].changes.CX, c.cells[i].changes.CY = cx, cy
		c.cells[i].changes.CellSize = uint16(size)
	}
	return c, nil
}

// Size returns a cell's edge in metres.
func (c *Cells) Size() float32 { return c.size }

// Dims returns the grid's size in cells.
func (c *Cells) Dims() (nx, ny int) { return c.nx, c.ny }

// Len returns the number of cells.
func (c *Cells) Len() int { return len(c.cells) }

// CellOf returns the cell of a point; points outside the grid belong to
// the nearest cell.
func (c *Cells) CellOf(x, y float32) int32 {
	cx := min(max(int(x/c.size), 0), c.nx-1)
	cy := min(max(int(y/c.size), 0), c.ny-1)
	return int32(cy*c.nx + cx)
}

// Coords returns a cell's column and row.
func (c *Cells) Coords(cell int32) (cx, cy uint16) {
	return uint16(int(cell) % c.nx), uint16(int(cell) / c.nx)
}

// Origin returns a cell's corner in metres.
func (c *Cells) Origin(cell int32) (x, y float32) {
	cx, cy := c.Coords(cell)
	return float32(cx) * c.size, float32(cy) * c.size
}

// Count returns how many entities a cell holds.
func (c *Cells) Count(cell int32) int { return c.cells[cell].count }

// minTable is the room of a cell's smallest slot table.
const minTable = 16

// Insert places an entity in a cell and returns its slot: the lowest free.
func (c *Cells) Insert(cell int32, e arche.Entity) uint16 {
	cl := &c.cells[cell]
	s := len(cl.slots)
	if cl.count < s {
		s = cl.lowestFree()
	} else {
		if s > 0xffff {
			panic("spatial: more than 65536 entities in one cell") // 65536 slots is the wire limit
		}
		if s == cap(cl.slots) {
			c.resize(cl, max(2*s, minTable))
		}
		cl.slots = cl.slots[:s+1]
	}
	cl.slots[s] = e
	cl.taken[s/64] |= 1 << (s % 64)
	cl.count++
	c.held++
	return uint16(s)
}

// lowestFree returns the lowest free slot below the end of the table (the
// cell holds fewer entities than its table has slots).
func (cl *cell) lowestFree() int {
	for w, word := range cl.taken {
		if word != ^uint64(0) {
			return w*64 + bits.TrailingZeros64(^word)
		}
	}
	panic("spatial: a cell with free slots has none") // count and taken disagree
}

// Remove frees an entity's slot in a cell; the table ends at its highest
// slot still taken, and moves to a smaller piece when three quarters of
// its room are past its end.
func (c *Cells) Remove(cell int32, slot uint16) {
	cl := &c.cells[cell]
	cl.slots[slot] = arche.Entity{}
	cl.taken[slot/64] &^= 1 << (slot % 64)
	cl.count--
	c.held--
	n := len(cl.slots)
	for n > 0 && cl.slots[n-1].IsZero() {
		n--
	}
	cl.slots = cl.slots[:n]
	if room := cap(cl.slots); room > minTable && n <= room/4 {
		c.resize(cl, room/2)
	}
}

// resize moves a cell's slot table and its bitmap to pieces of the given
// room, and gives the old pieces back to their slabs.
func (c *Cells) resize(cl *cell, room int) {
	slots := append(c.slots.take(room), cl.slots...)
	words := max(room/64, 1)
	taken := c.taken.take(words)[:words]
	clear(taken)
	copy(taken, cl.taken) // past the table's end every bit is clear
	c.slots.give(cl.slots)
	c.taken.give(cl.taken)
	cl.slots, cl.taken = slots, taken
}

// Leave records that the entity in a cell's slot left it this tick, and
// frees the slot.
func (c *Cells) Leave(cell int32, slot uint16, tick uint32) {
	c.leaves.push(&c.Changes(cell, tick).Leaves, slot)
	c.Remove(cell, slot)
}

// Entered records that an entity entered a cell this tick (after Insert
// gave it its slot).
func (c *Cells) Entered(cell int32, tick uint32, e Enter) {
	c.enters.push(&c.Changes(cell, tick).Enters, e)
}

// Stepped records that the entity in a cell's slot moved a short way this
// tick.
func (c *Cells) Stepped(cell int32, tick uint32, s Step) {
	c.steps.push(&c.Changes(cell, tick).Steps, s)
}

// Moved records that the entity in a cell's slot jumped this tick.
func (c *Cells) Moved(cell int32, tick uint32, m Move) {
	c.moves.push(&c.Changes(cell, tick).Moves, m)
}

// Changed records that the state of the entity in a cell's slot changed
// this tick.
func (c *Cells) Changed(cell int32, tick uint32, s State) {
	c.states.push(&c.Changes(cell, tick).States, s)
}

// Each calls fn for every entity in a cell, with its slot.
func (c *Cells) Each(cell int32, fn func(slot uint16, e arche.Entity)) {
	for s, e := range c.cells[cell].slots {
		if !e.IsZero() {
			fn(uint16(s), e)
		}
	}
}

// Slots returns a cell's slot table (free slots hold the zero Entity). The
// slice is valid until the cell changes.
func (c *Cells) Slots(cell int32) []arche.Entity { return c.cells[cell].slots }

// Area calls fn for every cell in the (2r+1) × (2r+1) block around cell
// that lies in the grid.
func (c *Cells) Area(cell int32, r int, fn func(cell int32)) {
	cx, cy := int(cell)%c.nx, int(cell)/c.nx
	for y := max(cy-r, 0); y <= min(cy+r, c.ny-1); y++ {
		for x := max(cx-r, 0); x <= min(cx+r, c.nx-1); x++ {
			fn(int32(y*c.nx + x))
		}
	}
}

// Rect calls fn for every cell that overlaps the rectangle [x0, x1] ×
// [y0, y1] (metres), clamped to the grid.
func (c *Cells) Rect(x0, y0, x1, y1 float32, fn func(cell int32)) {
	cx0, cy0 := min(max(int(x0/c.size), 0), c.nx-1), min(max(int(y0/c.size), 0), c.ny-1)
	cx1, cy1 := min(max(int(x1/c.size), 0), c.nx-1), min(max(int(y1/c.size), 0), c.ny-1)
	for y := cy0; y <= cy1; y++ {
		for x := cx0; x <= cx1; x++ {
			fn(int32(y*c.nx + x))
		}
	}
}

// Changes returns the cell's change records for this tick and marks the
// cell changed.
func (c *Cells) Changes(cell int32, tick uint32) *CellChanges {
	cl := &c.cells[cell]
	if !cl.dirty {
		cl.dirty = true
		cl.changes.Tick = tick
		c.dirty = append(c.dirty, cell)
		c.reserve(&cl.changes, cl.count)
	}
	return &cl.changes
}

// Dirty returns the cells that changed this tick, in the order they first
// changed.
func (c *Cells) Dirty() []int32 { return c.dirty }

// ClearChanges forgets this tick's changes; their arenas keep the memory
// for the next tick's.
func (c *Cells) ClearChanges() {
	for _, i := range c.dirty {
		ch := &c.cells[i].changes
		c.cells[i].dirty = false
		ch.Full = false
		ch.Steps, ch.Moves, ch.States, ch.Enters, ch.Leaves = nil, nil, nil, nil, nil
	}
	c.dirty = c.dirty[:0]
	// What reserve takes in a tick that changes every cell: the arenas
	// grow when the zone holds more entities than before, not when they
	// crowd into new cells or move more.
	most := c.held + 8*len(c.cells)
	c.steps.reset(most)
	c.moves.reset(most)
	c.states.reset(most)
	c.enters.reset(most)
	c.leaves.reset(most)
}

// reserve gives the (empty) records of a cell of n entities room for one
// change of each entity, with headroom, so that a tick's appends do not
// grow them: from the arenas, taken back at the end of the tick.
func (c *Cells) reserve(ch *CellChanges, n int) {
	need := n + 8
	ch.Steps = c.steps.take(need)
	ch.Moves = c.moves.take(need)
	ch.States = c.states.take(need)
	ch.Enters = c.enters.take(need)
	ch.Leaves = c.leaves.take(need)
}
