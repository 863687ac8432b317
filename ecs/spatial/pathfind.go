package spatial

import (
	"github.com/kelindar/tile"
)

// Pathfinder finds A* paths over a terrain within a square window of
// tiles around the start, with buffers it keeps: once warm, a search
// allocates nothing, and its cost is bounded by the window (at most
// (2·Radius+1)² tiles expanded), where an unbounded search for an
// unreachable goal would flood the whole map. Moves go to the 4 tiles
// around; a move costs the entered tile's cost. One Pathfinder serves one
// goroutine (a zone's tick).
type Pathfinder struct {
	t      *Terrain
	radius int16
	side   int
	// Per window tile, valid when its stamp is the search's generation.
	cost  []uint32
	from  []int32 // the window index it was reached from (-1: the start)
	stamp []uint32
	gen   uint32
	heap  []pathItem
	// The last search's window corner, in tiles.
	ox, oy int32
}

type pathItem struct {
	f   uint32
	idx int32
}

// NewPathfinder returns a pathfinder over t that searches within radius
// tiles of the start (at least 1).
func NewPathfinder(t *Terrain, radius int16) *Pathfinder {
	radius = max(radius, 1)
	side := 2*int(radius) + 1
	return &Pathfinder{t: t, radius: radius, side: side,
		cost: make([]uint32, side*side), from: make([]int32, side*side), stamp: make([]uint32, side*side),
		heap: make([]pathItem, 0, side*side)} // a search holds at most every tile of its window
}

// Terrain returns the terrain the pathfinder searches.
func (pf *Pathfinder) Terrain() *Terrain { return pf.t }

// Prefix writes into dst[:0] the first cap(dst) tiles of the path from the
// tile under a to the tile under b, as Terrain.Path returns them (in
// walking order, without the start tile, with the goal tile), and reports
// whether they are the whole path, so that a caller with a fixed buffer
// walks them and searches again; ok is false when the goal is blocked,
// outside the window, or not reachable within it. It never allocates: a
// buffer of (2·Radius+1)² tiles holds any path.
func (pf *Pathfinder) Prefix(dst []tile.Point, ax, ay, bx, by float32) (steps []tile.Point, whole, ok bool) {
	goal, ok := pf.search(ax, ay, bx, by)
	if !ok || goal < 0 {
		return dst[:0], true, ok
	}
	steps, whole = pf.walk(dst[:cap(dst)], goal)
	return steps, whole, true
}

// search runs A* from the tile under a to the tile under b and returns the
// goal's window index (-1 when a and b are on the same tile); false when
// there is no path within the window.
func (pf *Pathfinder) search(ax, ay, bx, by float32) (int32, bool) {
	t := pf.t
	sx, sy, ok1 := t.TileAt(ax, ay)
	gx, gy, ok2 := t.TileAt(bx, by)
	r := int32(pf.radius)
	if !ok1 || !ok2 || !t.WalkableTile(gx, gy) || abs32(int32(gx)-int32(sx)) > r || abs32(int32(gy)-int32(sy)) > r {
		return 0, false
	}
	if sx == gx && sy == gy {
		return -1, true
	}
	pf.gen++
	if pf.gen == 0 { // wrapped: every stamp is stale again
		clear(pf.stamp)
		pf.gen = 1
	}
	pf.ox, pf.oy = int32(sx)-r, int32(sy)-r // the window's corner, in tiles
	ox, oy := pf.ox, pf.oy
	side := int32(pf.side)
	index := func(x, y int32) int32 { return (y-oy)*side + (x - ox) }
	goal := index(int32(gx), int32(gy))
	start := index(int32(sx), int32(sy))
	pf.heap = pf.heap[:0]
	pf.visit(start, 0, -1)
	pf.push(pathItem{f: manhattan(int32(sx), int32(sy), int32(gx), int32(gy)), idx: start})
	for len(pf.heap) > 0 {
		cur := pf.pop()
		if cur.idx == goal {
			return goal, true
		}
		cx, cy := ox+cur.idx%side, oy+cur.idx/side
		g := pf.cost[cur.idx]
		if cur.f > g+manhattan(cx, cy, int32(gx), int32(gy)) {
			continue // a stale entry: the tile was reached cheaper since
		}
		for _, d := range [4][2]int32{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			nx, ny := cx+d[0], cy+d[1]
			if nx < ox || ny < oy || nx >= ox+side || ny >= oy+side {
				continue
			}
			c := t.Cost(int16(nx), int16(ny)) // 0: blocked or off the terrain
			if c == 0 {
				continue
			}
			ni := index(nx, ny)
			ng := g + uint32(c)
			if pf.stamp[ni] == pf.gen && pf.cost[ni] <= ng {
				continue
			}
			pf.visit(ni, ng, cur.idx)
			pf.push(pathItem{f: ng + manhattan(nx, ny, int32(gx), int32(gy)), idx: ni})
		}
	}
	return 0, false
}

func (pf *Pathfinder) visit(i int32, cost uint32, from int32) {
	pf.stamp[i], pf.cost[i], pf.from[i] = pf.gen, cost, from
}

// steps counts the steps of the path that ends at goal, start excluded.
func (pf *Pathfinder) steps(goal int32) int {
	n := 0
	for i := goal; pf.from[i] >= 0; i = pf.from[i] {
		n++
	}
	return n
}

// walk writes the first len(dst) steps of the path that ends at goal into
// dst (start excluded) and reports whether that is all of them.
func (pf *Pathfinder) walk(dst []tile.Point, goal int32) ([]tile.Point, bool) {
	n := pf.steps(goal)
	dst = dst[:min(n, len(dst))]
	i := goal
	for range n - len(dst) { // the steps past the buffer's end
		i = pf.from[i]
	}
	side := int32(pf.side)
	for k := len(dst) - 1; k >= 0; k-- {
		dst[k] = tile.At(int16(pf.ox+i%side), int16(pf.oy+i/side))
		i = pf.from[i]
	}
	return dst, len(dst) == n
}

// push and pop keep pf.heap a binary min-heap on f, ties broken by the
// index so that searches are deterministic.
func (pf *Pathfinder) push(it pathItem) {
	pf.heap = append(pf.heap, it)
	h := pf.heap
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (pf *Pathfinder) pop() pathItem {
	h := pf.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && less(h[l], h[m]) {
			m = l
		}
		if r < len(h) && less(h[r], h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	pf.heap = h
	return top
}

func less(a, b pathItem) bool { return a.f < b.f || (a.f == b.f && a.idx < b.idx) }

func manhattan(ax, ay, bx, by int32) uint32 { return uint32(abs32(ax-bx) + abs32(ay-by)) }

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
