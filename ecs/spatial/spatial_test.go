package spatial

import (
	"math"
	"testing"

	arche "github.com/mlange-42/arche/ecs"
)

func TestTerrainWalkability(t *testing.T) {
	tr, err := NewTerrain(10, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := tr.Size(); w != 20 || h != 16 {
		t.Fatalf("size %v × %v", w, h)
	}
	tr.SetTile(3, 2, true, 1)
	cases := []struct {
		x, y float32
		want bool
	}{{0, 0, true}, {6.5, 4.5, false}, {7.99, 5.99, false}, {8, 4, true}, {-0.1, 1, false}, {20, 1, false}, {float32(math.NaN()), 1, false}}
	for _, c := range cases {
		if got := tr.Walkable(c.x, c.y); got != c.want {
			t.Errorf("Walkable(%v, %v) = %v", c.x, c.y, got)
		}
	}
	if tr.Cost(3, 2) != 0 || tr.Cost(4, 2) != 1 {
		t.Fatal("costs")
	}
	if _, err := NewTerrain(0, 5, 1); err == nil {
		t.Fatal("empty terrain accepted")
	}
}

func TestPathStaysInsideOddSizedTerrain(t *testing.T) {
	// 7 × 4 tiles: the tile grid underneath is 9 × 6. A wall at x = 5
	// leaves a way round only through the padding, which must not exist.
	tr, _ := NewTerrain(7, 4, 1)
	for y := int16(0); y < 4; y++ {
		tr.SetTile(5, y, true, 1)
	}
	if path, ok := tr.Path(0.5, 0.5, 6.5, 0.5); ok {
		t.Fatalf("path through the padding: %v", path)
	}
	if tr.Cost(6, 3) != 1 || tr.Cost(7, 3) != 0 {
		t.Fatal("cost at the edge")
	}
}

func TestPathGoesAroundWalls(t *testing.T) {
	tr, _ := NewTerrain(20, 20, 1)
	for y := int16(0); y < 15; y++ { // a wall at x = 10 with a gap at the top
		tr.SetTile(10, y, true, 1)
	}
	if tr.LineClear(5.5, 5.5, 15.5, 5.5) {
		t.Fatal("line through a wall is clear")
	}
	path, ok := tr.Path(5.5, 5.5, 15.5, 5.5)
	if !ok || len(path) < 20 {
		t.Fatalf("path %v %v", ok, path)
	}
	last := path[len(path)-1]
	if last.X != 15 || last.Y != 5 {
		t.Fatalf("path ends at %v", last)
	}
	for _, p := range path {
		if !tr.WalkableTile(p.X, p.Y) {
			t.Fatalf("path crosses blocked tile %v", p)
		}
	}
	n := 0
	tr.Around(5.5, 5.5, 2, func(int16, int16) { n++ })
	if n == 0 {
		t.Fatal("Around found nothing")
	}
}

func TestCellsSlotsAndChanges(t *testing.T) {
	c, err := NewCells(100, 100, 32)
	if err != nil {
		t.Fatal(err)
	}
	if nx, ny := c.Dims(); nx != 4 || ny != 4 {
		t.Fatalf("dims %d × %d", nx, ny)
	}
	cell := c.CellOf(40, 70)
	if cx, cy := c.Coords(cell); cx != 1 || cy != 2 {
		t.Fatalf("coords %d, %d", cx, cy)
	}
	if c.CellOf(-5, 1e9) != c.CellOf(0, 99) {
		t.Fatal("outside points are not clamped")
	}
	w := arche.NewWorld()
	a, b := w.NewEntity(), w.NewEntity()
	sa, sb := c.Insert(cell, a), c.Insert(cell, b)
	c.Remove(cell, sa)
	if s := c.Insert(cell, a); s != sa || sb == sa {
		t.Fatalf("slot reuse: %d %d %d", s, sa, sb)
	}
	if c.Count(cell) != 2 {
		t.Fatalf("count %d", c.Count(cell))
	}
	ch := c.Changes(cell, 5)
	ch.Steps = append(ch.Steps, Step{Slot: 1})
	c.Changes(cell, 5)
	if len(c.Dirty()) != 1 {
		t.Fatalf("dirty %v", c.Dirty())
	}
	c.ClearChanges()
	if len(c.Dirty()) != 0 || !c.Changes(cell, 6).Empty() {
		t.Fatal("changes not cleared")
	}
	n := 0
	c.Area(0, 1, func(int32) { n++ })
	if n != 4 {
		t.Fatalf("corner area has %d cells", n)
	}
}

func TestMirrorAppliesInOrderAndRejectsGaps(t *testing.T) {
	m := NewMirror()
	if err := m.Apply(&CellChanges{CX: 1, CY: 1, CellSize: 32}); err == nil {
		t.Fatal("delta before full state accepted")
	}
	full := CellChanges{CX: 1, CY: 1, CellSize: 32, Full: true, Enters: []Enter{{ID: 7, Slot: 0, X: 256, Y: 512}}}
	if err := m.Apply(&full); err != nil {
		t.Fatal(err)
	}
	step := CellChanges{CX: 1, CY: 1, CellSize: 32, Steps: []Step{{Slot: 0, DX: 10, DY: -10}},
		Leaves: []uint16{0}, Enters: []Enter{{ID: 8, Slot: 0, X: 100, Y: 100}}}
	if err := m.Apply(&step); err != nil { // leave and enter first: the step lands on entity 8
		t.Fatal(err)
	}
	m.Each(func(e *MirrorEntity, x, y float64) {
		if e.ID != 8 || x != 32+110.0/256 || y != 32+90.0/256 {
			t.Fatalf("entity %d at %v, %v", e.ID, x, y)
		}
	})
	n := 0
	if !m.EachIn(1, 1, func(e *MirrorEntity, x, y int32) {
		n++
		if e.ID != 8 || x != 32*256+110 || y != 32*256+90 {
			t.Fatalf("EachIn: %d at %d, %d", e.ID, x, y)
		}
	}) || n != 1 || m.EachIn(5, 5, func(*MirrorEntity, int32, int32) {}) {
		t.Fatal("EachIn")
	}
	if err := m.Apply(&CellChanges{CX: 1, CY: 1, CellSize: 32, States: []State{{Slot: 3}}}); err == nil {
		t.Fatal("state for a free slot accepted")
	}
}

func TestQuantizers(t *testing.T) {
	for _, m := range []float64{0, 0.001, 1.5, 31.99, 255.99} {
		q, ok := QuantizeOffset(m)
		if !ok || math.Abs(DequantizeOffset(q)-m) > 1.0/512+1e-9 {
			t.Errorf("offset %v -> %d", m, q)
		}
	}
	if _, ok := QuantizeOffset(-1); ok {
		t.Error("negative offset accepted")
	}
	if _, ok := QuantizeOffset(300); ok {
		t.Error("offset past the range accepted")
	}
	if q := QuantizeCoord(-12.5); DequantizeCoord(q) != -12.5 {
		t.Error("coord")
	}
	if QuantizeHeading(0) != 0 || QuantizeHeading(math.Pi) != 128 || QuantizeHeading(-math.Pi/2) != 192 || QuantizeHeading(2*math.Pi-0.001) != 0 {
		t.Error("heading")
	}
	if QuantizeHealth(0, 100) != 0 || QuantizeHealth(0.01, 100) != 1 || QuantizeHealth(100, 100) != 255 || QuantizeHealth(50, 100) != 128 {
		t.Error("health")
	}
}
