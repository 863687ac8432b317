package systems

import (
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// Replication records, per cell, what changed in each entity's published
// state this tick: a step (or an absolute move when the change is too
// large for a step) for a new quantized position, a state record for a
// new heading, health, animation or flags. An entity whose quantized state
// did not change costs nothing. Net/codec then encodes each changed cell
// once, however many players watch it.
type Replication struct {
	filter generic.Filter5[Position, Replica, Appearance, Motion, Health]
}

// NewReplication returns the replication system for w.
func NewReplication(w *ecs.World) *Replication {
	s := &Replication{filter: *generic.NewFilter5[Position, Replica, Appearance, Motion, Health]().Without(generic.T[Dead]())}
	s.filter.Register(&w.ECS)
	return s
}

// Run records the changes.
func (s *Replication) Run(w *ecs.World) {
	cells := ecs.Resource[spatial.Cells](w)
	tick := w.Time.Tick
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		p, r, a, m, h := q.Get()
		if r.Cell == spatial.NoCell || r.EnteredAt == tick {
			continue
		}
		qx, qy := quantizeIn(cells, r.Cell, p)
		if qx != r.QX || qy != r.QY {
			dx, dy := int(qx)-int(r.QX), int(qy)-int(r.QY)
			if dx >= -128 && dx <= 127 && dy >= -128 && dy <= 127 {
				cells.Stepped(r.Cell, uint32(tick), spatial.Step{Slot: r.Slot, DX: int8(dx), DY: int8(dy)})
			} else {
				cells.Moved(r.Cell, uint32(tick), spatial.Move{Slot: r.Slot, X: qx, Y: qy})
			}
			r.QX, r.QY = qx, qy
		}
		heading := spatial.QuantizeHeading(float64(m.Heading))
		health := spatial.QuantizeHealth(float64(h.Cur), float64(h.Max))
		if heading != r.Heading || health != r.Health || a.Anim != r.Anim || a.Flags != r.Flags {
			r.Heading, r.Health, r.Anim, r.Flags = heading, health, a.Anim, a.Flags
			cells.Changed(r.Cell, uint32(tick), spatial.State{Slot: r.Slot, Heading: heading, Health: health, Anim: a.Anim, Flags: a.Flags})
		}
	}
}
