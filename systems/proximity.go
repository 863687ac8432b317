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
	// cells[kind][cell]: one list per kind, so that "nearest player" does
	// not wade through the NPCs.
	cells [numKinds][][]Near
}

// numKinds covers spatial.KindUnknown .. KindObject.
const numKinds = 4

// NewProximity returns an empty index for a grid of n cells.
func NewProximity(n int) *Proximity {
	p := &Proximity{}
	for k := range p.cells {
		p.cells[k] = make([][]Near, n)
	}
	return p
}

// Within calls fn for every indexed entity of a kind in the cells that a
// circle of radius r around (x, y) overlaps (a superset of the circle).
func (p *Proximity) Within(cells *spatial.Cells, x, y, r float32, kind uint8, fn func(n *Near)) {
	byCell := p.cells[kind%numKinds]
	cells.Rect(x-r, y-r, x+r, y+r, func(c int32) {
		list := byCell[c]
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

// Run rebuilds the index.
func (s *IndexProximity) Run(w *ecs.World) {
	prox := ecs.Resource[Proximity](w)
	for k := range prox.cells {
		byCell := prox.cells[k]
		for i := range byCell {
			byCell[i] = byCell[i][:0]
		}
	}
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		p, a, r := q.Get()
		if r.Cell == spatial.NoCell {
			continue
		}
		byCell := prox.cells[a.Kind%numKinds]
		byCell[r.Cell] = append(byCell[r.Cell], Near{E: q.Entity(), X: p.X, Y: p.Y, Kind: a.Kind})
	}
}
