package systems

import (
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
)

// Regen heals living entities that have not been hit for a while, a share
// of their maximum every RegenEvery ticks (staggered over the entities).
type Regen struct {
	filter generic.Filter1[Health]
}

// NewRegen returns the regeneration system for w.
func NewRegen(w *ecs.World) *Regen {
	s := &Regen{filter: *generic.NewFilter1[Health]().Without(generic.T[Dead]())}
	s.filter.Register(&w.ECS)
	return s
}

// Run heals.
func (s *Regen) Run(w *ecs.World) {
	r := ecs.Resource[Rules](w)
	tick := w.Time.Tick
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		h := q.Get()
		if h.Cur >= h.Max || h.Cur <= 0 || tick < h.LastHit+r.RegenDelay || (tick+uint64(q.Entity().ID()))%r.RegenEvery != 0 {
			continue
		}
		h.Cur = min(h.Max, h.Cur+max(1, int32(float32(h.Max)*r.RegenFraction)))
	}
}
