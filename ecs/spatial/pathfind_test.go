package spatial

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kelindar/tile"
)

// randomTerrain is a w × h terrain with a share of blocked tiles and some
// costly ones.
func randomTerrain(t testing.TB, w, h int, blocked float64, seed uint64) *Terrain {
	tr, err := NewTerrain(w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			switch f := rng.Float64(); {
			case f < blocked:
				tr.SetTile(int16(x), int16(y), true, 1)
			case f < blocked+0.1:
				tr.SetTile(int16(x), int16(y), false, uint8(2+rng.IntN(4)))
			}
		}
	}
	return tr
}

// pathCost is what walking a path from (sx, sy) costs, checking that each
// step goes to a walkable tile next to the previous one.
func pathCost(t *testing.T, tr *Terrain, sx, sy int16, path []tile.Point) int {
	t.Helper()
	cost, x, y := 0, sx, sy
	for _, p := range path {
		if d := abs32(int32(p.X-x)) + abs32(int32(p.Y-y)); d != 1 || !tr.WalkableTile(p.X, p.Y) {
			t.Fatalf("step (%d, %d) → (%d, %d) is not a move to a walkable neighbour", x, y, p.X, p.Y)
		}
		cost += int(tr.Cost(p.X, p.Y))
		x, y = p.X, p.Y
	}
	return cost
}

// TestPathfinderMatchesTerrainPath: within its window the pathfinder finds
// a path whenever the unbounded A* does, as cheap, ending at the goal, in
// walking order.
func TestPathfinderMatchesTerrainPath(t *testing.T) {
	tr := randomTerrain(t, 96, 96, 0.25, 3)
	pf := NewPathfinder(tr, 48)
	rng := rand.New(rand.NewPCG(5, 6))
	buf := make([]tile.Point, 0, 97*97) // any path of the window
	found := 0
	for i := 0; i < 400; i++ {
		ax, ay := float32(rng.IntN(96))+0.5, float32(rng.IntN(96))+0.5
		bx, by := float32(rng.IntN(96))+0.5, float32(rng.IntN(96))+0.5
		if !tr.Walkable(ax, ay) || abs32(int32(ax)-int32(bx)) > 48 || abs32(int32(ay)-int32(by)) > 48 {
			continue
		}
		want, okWant := tr.Path(ax, ay, bx, by)
		var ok, whole bool
		buf, whole, ok = pf.Prefix(buf, ax, ay, bx, by)
		if ok && !whole {
			t.Fatalf("search %d: a path longer than its window", i)
		}
		sx, sy, _ := tr.TileAt(ax, ay)
		switch {
		case okWant && !ok:
			// The unbounded search may leave the window; the bounded one
			// may not find what is only reachable around it.
			if pathInWindow(want, sx, sy, 48) {
				t.Fatalf("search %d: no path where A* found one inside the window", i)
			}
		case ok && !okWant:
			t.Fatalf("search %d: a path where A* found none", i)
		case ok:
			found++
			gx, gy, _ := tr.TileAt(bx, by)
			if len(buf) > 0 && (buf[len(buf)-1].X != gx || buf[len(buf)-1].Y != gy) {
				t.Fatalf("search %d: ends at %v, not the goal (%d, %d)", i, buf[len(buf)-1], gx, gy)
			}
			if got, w := pathCost(t, tr, sx, sy, buf), pathCost(t, tr, sx, sy, want); got > w && pathInWindow(want, sx, sy, 48) {
				t.Fatalf("search %d: costs %d, A* found %d", i, got, w)
			}
		}
	}
	if found < 100 {
		t.Fatalf("only %d paths found: the test does not test much", found)
	}
}

func pathInWindow(path []tile.Point, sx, sy int16, r int32) bool {
	for _, p := range path {
		if abs32(int32(p.X-sx)) > r || abs32(int32(p.Y-sy)) > r {
			return false
		}
	}
	return true
}

// TestPathfinderAllocatesNothing: once warm, a search — found, or failing
// after flooding its window — allocates nothing.
func TestPathfinderAllocatesNothing(t *testing.T) {
	tr := randomTerrain(t, 200, 200, 0.2, 9)
	for y := int16(0); y < 200; y++ { // a wall with no gap: the east is unreachable
		tr.SetTile(150, y, true, 1)
	}
	pf := NewPathfinder(tr, 64)
	buf := make([]tile.Point, 0, 512)
	var found bool
	for _, goal := range [][2]float32{{130.5, 100.5}, {160.5, 100.5}} {
		allocs := testing.AllocsPerRun(50, func() { buf, _, found = pf.Prefix(buf, 100.5, 100.5, goal[0], goal[1]) })
		if allocs != 0 {
			t.Fatalf("a search to %v allocates %v times", goal, allocs)
		}
		t.Logf("to %v: found %v", goal, found)
	}
}

// TestPrefixIsThePathsStart: into a buffer shorter than the path, Prefix
// writes the path's first steps and says they are not all; into one long
// enough, the whole path; never allocating.
func TestPrefixIsThePathsStart(t *testing.T) {
	tr := randomTerrain(t, 200, 200, 0.2, 9)
	pf := NewPathfinder(tr, 64)
	whole, all, ok := pf.Prefix(make([]tile.Point, 0, 129*129), 100.5, 100.5, 140.5, 130.5)
	if !ok || !all || len(whole) < 40 {
		t.Fatalf("no long path to test with: %d steps, %v", len(whole), ok)
	}
	whole = slices.Clone(whole)
	for _, room := range []int{1, 16, len(whole) - 1, len(whole), len(whole) + 5} {
		buf := make([]tile.Point, 0, room)
		var steps []tile.Point
		var all bool
		allocs := testing.AllocsPerRun(10, func() { steps, all, ok = pf.Prefix(buf, 100.5, 100.5, 140.5, 130.5) })
		want := whole[:min(room, len(whole))]
		if !ok || !slices.Equal(steps, want) || all != (room >= len(whole)) || allocs != 0 {
			t.Fatalf("room %d: %d steps (whole %v, found %v, %v allocations), want the first %d of %d",
				room, len(steps), all, ok, allocs, len(want), len(whole))
		}
	}
}

func BenchmarkPathfinder(b *testing.B) {
	tr := randomTerrain(b, 256, 256, 0.2, 11)
	pf := NewPathfinder(tr, 56)
	buf := make([]tile.Point, 0, 113*113) // any path of the window
	b.ReportAllocs()
	for b.Loop() {
		buf, _, _ = pf.Prefix(buf, 100.5, 100.5, 140.5, 130.5)
	}
}

func BenchmarkTerrainPath(b *testing.B) {
	tr := randomTerrain(b, 256, 256, 0.2, 11)
	b.ReportAllocs()
	for b.Loop() {
		tr.Path(100.5, 100.5, 140.5, 130.5)
	}
}
