package systems

import (
	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// Near is one living entity in the proximity index.
type Near struct {
	E    arche.Entity
	X, Y float32
	Kind uint8
}

// Proximity indexes living entities by interest cell, in flat slices, so
// that "who is near" questions (aggro, melee targets) read contiguous
// memory instead of looking up components. It is rebuilt every tick after
// interest, and read by the next tick's simulation.
type Proximity struct {
	// Per kind (so that "nearest player" does not wade through the NPCs),
	// the entities sorted by cell: those of cell c are
	// items[kind][start[kind][c]:start[kind][c+1]]. Rebuilt by a counting
	// sort into buffers kept from tick to tick: no allocation once the
	// population is known.
	items [numKinds][]Near
	start [numKinds][]int32
	// scratch of the rebuild: every indexed entity with its cell.
	all []cellNear
}

type cellNear struct {
	cell int32
	n    Near
}

// numKinds covers spatial.KindUnknown .. KindObject.
const numKinds = 4

// NewProximity returns an empty index for a grid of n cells.
func NewProximity(n int) *Proximity {
	p := &Proximity{}
	for k := range p.start {
		p.start[k] = make([]int32, n+1)
	}
	return p
}

// list returns the indexed entities of a kind in a cell.
func (p *Proximity) list(kind uint8, c int32) []Near {
	k := kind % numKinds
	return p.items[k][p.start[k][c]:p.start[k][c+1]]
}

// Within calls fn for every indexed entity of a kind in the cells that a
// circle of radius r around (x, y) overlaps (a superset of the circle).
func (p *Proximity) Within(cells *spatial.Cells, x, y, r float32, kind uint8, fn func(n *Near)) {
	cells.Rect(x-r, y-r, x+r, y+r, func(c int32) {
		list := p.list(kind, c)
		for i := range list {
			fn(&list[i])
		}
	})
}

// Nearest returns the nearest indexed entity of a kind within r metres of
// (x, y), other than self.
func (p *Proximity) Nearest(cells *spatial.Cells, x, y, r float32, kind uint8, self arche.Entity) (arche.Entity, bool) {
	best, bestD := arche.Entity{}, r*r
	found := false
	p.Within(cells, x, y, r, kind, func(n *Near) {
		if n.E == self {
			return
		}
		dx, dy := n.X-x, n.Y-y
		if d := dx*dx + dy*dy; d <= bestD {
			best, bestD, found = n.E, d, true
		}
	})
	return best, found
}

// NearestWhere is Nearest among the entities ok accepts.
func (p *Proximity) NearestWhere(cells *spatial.Cells, x, y, r float32, kind uint8, self arche.Entity, ok func(arche.Entity) bool) (arche.Entity, bool) {
	best, bestD := arche.Entity{}, r*r
	found := false
	p.Within(cells, x, y, r, kind, func(n *Near) {
		if n.E == self {
			return
		}
		dx, dy := n.X-x, n.Y-y
		if d := dx*dx + dy*dy; d <= bestD && ok(n.E) {
			best, bestD, found = n.E, d, true
		}
	})
	return best, found
}

// IndexProximity rebuilds the Proximity resource.
type IndexProximity struct {
	filter generic.Filter3[Position, Appearance, Replica]
}

// NewIndexProximity returns the indexing system for w.
func NewIndexProximity(w *ecs.World) *IndexProximity {
	s := &IndexProximity{filter: *generic.NewFilter3[Position, Appearance, Replica]().Without(generic.T[Dead]())}
	s.filter.Register(&w.ECS)
	return s
}

// Run rebuilds the index: one pass over the entities into a flat list,
// then a counting sort by kind and cell.
func (s *IndexProximity) Run(w *ecs.World) {
	prox := ecs.Resource[Proximity](w)
	prox.all = prox.all[:0]
	for k := range prox.start {
		clear(prox.start[k])
	}
	q := s.filter.Query(&w.ECS)
	if n := q.Count(); cap(prox.all) < n {
		prox.all = make([]cellNear, 0, n+n/4) // headroom: it grows only past a new peak
	}
	for q.Next() {
		p, a, r := q.Get()
		if r.Cell == spatial.NoCell {
			continue
		}
		prox.all = append(prox.all, cellNear{cell: r.Cell, n: Near{E: q.Entity(), X: p.X, Y: p.Y, Kind: a.Kind}})
		prox.start[a.Kind%numKinds][r.Cell+1]++
	}
	for k := range prox.start {
		st := prox.start[k]
		for c := 1; c < len(st); c++ {
			st[c] += st[c-1]
		}
		if n := int(st[len(st)-1]); cap(prox.items[k]) < n {
			prox.items[k] = make([]Near, n, n+n/4)
		} else {
			prox.items[k] = prox.items[k][:n]
		}
	}
	// Place each entity at its cell's next free index: the starts move up
	// as they fill, and are moved back down after.
	for _, cn := range prox.all {
		k := cn.n.Kind % numKinds
		prox.items[k][prox.start[k][cn.cell]] = cn.n
		prox.start[k][cn.cell]++
	}
	for k := range prox.start {
		st := prox.start[k]
		copy(st[1:], st[:len(st)-1])
		st[0] = 0
	}
}
