package spatial

import (
	"testing"

	arche "github.com/mlange-42/arche/ecs"
)

// Pieces of one chunk never overlap: a table filled to its room does not
// write into its neighbour, and a piece given back is handed out again
// for its size only.
func TestSlabPiecesAreIndependent(t *testing.T) {
	s := slab[int]{most: 300}
	tables := make([][]int, 300)
	for round := 0; round < 40; round++ {
		for i, tb := range tables {
			if len(tb) == cap(tb) {
				tb = append(s.take(max(2*cap(tb), 16)), tb...)
				s.give(tables[i])
			}
			tables[i] = append(tb, i*1000+len(tb))
		}
	}
	for i, tb := range tables {
		for k, v := range tb {
			if v != i*1000+k {
				t.Fatalf("table %d[%d] = %d, want %d", i, k, v, i*1000+k)
			}
		}
	}
	big := s.take(slabFirst) // larger than a quarter chunk: its own memory
	if cap(big) != slabFirst || len(big) != 0 {
		t.Fatalf("take(%d): len %d cap %d", slabFirst, len(big), cap(big))
	}
	if p := s.take(20); cap(p) != 32 {
		t.Fatalf("take(20) has room for %d, want 32", cap(p))
	}
	s.give(big)
	if again := s.take(slabFirst); &again[:1][0] != &big[:1][0] {
		t.Fatal("a piece given back is not taken again")
	}
	allocs := testing.AllocsPerRun(100, func() { _ = s.take(16) })
	if allocs >= 1 {
		t.Errorf("take(16) allocates %.2f times a call; chunks should", allocs)
	}
}

// A cell hands out its lowest free slot, and its table shrinks back when
// its crowd leaves.
func TestCellsTakeTheLowestFreeSlot(t *testing.T) {
	c, err := NewCells(64, 64, 32)
	if err != nil {
		t.Fatal(err)
	}
	w := arche.NewWorld()
	es := make([]arche.Entity, 1000)
	for i := range es {
		es[i] = w.NewEntity()
		if s := c.Insert(0, es[i]); int(s) != i {
			t.Fatalf("entity %d got slot %d", i, s)
		}
	}
	c.Remove(0, 700)
	c.Remove(0, 3)
	c.Remove(0, 130)
	for _, want := range []uint16{3, 130, 700, 1000} {
		if s := c.Insert(0, w.NewEntity()); s != want {
			t.Fatalf("slot %d, want %d (the lowest free)", s, want)
		}
	}
	for s := 1000; s >= 10; s-- {
		c.Remove(0, uint16(s))
	}
	if n, room := len(c.Slots(0)), cap(c.Slots(0)); n != 10 || room > 64 {
		t.Fatalf("10 entities left in a table of %d slots with room for %d", n, room)
	}
	c.Remove(0, 2) // not the top: the table keeps its end
	if n := len(c.Slots(0)); n != 10 || c.Count(0) != 9 {
		t.Fatalf("table of %d slots, %d entities", n, c.Count(0))
	}
	seen := 0
	c.Each(0, func(slot uint16, e arche.Entity) {
		if slot == 2 || e.IsZero() {
			t.Fatalf("Each gave slot %d entity %v", slot, e)
		}
		seen++
	})
	if seen != 9 {
		t.Fatalf("Each gave %d entities, want 9", seen)
	}
}

// Entities roaming between cells, crowding one and then another, make the
// cells trade table pieces: once every size has been seen, nothing is
// allocated, however long they roam, and the tables shrink back when the
// crowd has passed.
func TestRoamingCellsStopAllocating(t *testing.T) {
	c, err := NewCells(32*8, 32*8, 32)
	if err != nil {
		t.Fatal(err)
	}
	w := arche.NewWorld()
	type placed struct {
		e    arche.Entity
		cell int32
		slot uint16
	}
	ents := make([]placed, 2000)
	for i := range ents {
		e := w.NewEntity()
		cell := int32(i % c.Len())
		ents[i] = placed{e, cell, c.Insert(cell, e)}
	}
	// Each round gathers every entity in one cell (the crowd moves from
	// cell to cell), then spreads them out again.
	round := 0
	roam := func() {
		crowd := int32(round % c.Len())
		for i := range ents {
			p := &ents[i]
			to := crowd
			if round%2 == 1 {
				to = int32((i + round) % c.Len())
			}
			c.Remove(p.cell, p.slot)
			p.cell, p.slot = to, c.Insert(to, p.e)
		}
		round++
	}
	for range 2 * c.Len() {
		roam()
	}
	if allocs := testing.AllocsPerRun(50, roam); allocs != 0 {
		t.Fatalf("%.2f allocations a round of roaming", allocs)
	}
	if round%2 == 1 {
		roam() // spread out
	}
	held, room := 0, 0
	for cell := range int32(c.Len()) {
		held += c.Count(cell)
		room += cap(c.Slots(cell))
	}
	if held != len(ents) {
		t.Fatalf("cells hold %d entities, want %d", held, len(ents))
	}
	// Spread out, every cell holds about 31: a table of 64 slots, not the
	// 2,048 of the crowd that passed through it.
	if room > 64*c.Len() {
		t.Fatalf("the cells' tables have room for %d entities after the crowd left", room)
	}
}
