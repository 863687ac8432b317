package systems

import (
	"math"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// Movement moves entities by their velocity. Nothing enters a blocked
// tile: a blocked move slides along the free axis, or stops.
type Movement struct {
	filter generic.Filter2[Position, Motion]
}

// NewMovement returns the movement system for w.
func NewMovement(w *ecs.World) *Movement {
	s := &Movement{filter: *generic.NewFilter2[Position, Motion]().Without(generic.T[Dead]())}
	s.filter.Register(&w.ECS)
	return s
}

// Run integrates one tick of motion.
func (s *Movement) Run(w *ecs.World) {
	terrain := ecs.Resource[spatial.Terrain](w)
	dt := w.Time.Dt
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		p, m := q.Get()
		if m.VX == 0 && m.VY == 0 {
			continue
		}
		Step(terrain, p, m.VX*dt, m.VY*dt)
	}
}

// Step moves p by (dx, dy) if the destination is walkable, else along the
// one axis that is, else not at all. It reports whether p moved.
func Step(t *spatial.Terrain, p *Position, dx, dy float32) bool {
	switch nx, ny := p.X+dx, p.Y+dy; {
	case t.Walkable(nx, ny):
		p.X, p.Y = nx, ny
	case dx != 0 && t.Walkable(nx, p.Y):
		p.X = nx
	case dy != 0 && t.Walkable(p.X, ny):
		p.Y = ny
	default:
		return false
	}
	return true
}

// HeadingOf returns the facing of a direction, in radians in (-π, π]. It
// is an approximation within 0.0015 rad, far finer than the wire's 1/256
// turn (0.0245 rad), and a fraction of math.Atan2's cost: every moving
// entity needs one every tick.
func HeadingOf(dx, dy float32) float32 {
	ax, ay := abs32(dx), abs32(dy)
	if ax == 0 && ay == 0 {
		return 0
	}
	// atan on [0, 1] by a rational-free polynomial (Abramowitz-Stegun
	// style fit), then mapped to the octant.
	a := min(ax, ay) / max(ax, ay)
	s := a * a
	r := ((-0.0464964749*s+0.15931422)*s-0.327622764)*s*a + a
	if ay > ax {
		r = math.Pi/2 - r
	}
	if dx < 0 {
		r = math.Pi - r
	}
	if dy < 0 {
		r = -r
	}
	return r
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
