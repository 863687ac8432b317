package systems

import (
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// Interest keeps every entity in the interest cell under it. An entity
// that changes cell leaves the old one (a leave record there) and enters
// the new one with its full state (an enter record), which is all a
// watcher of the new cell needs.
type Interest struct {
	filter generic.Filter5[Position, Replica, Appearance, Motion, Health]
}

// NewInterest returns the interest system for w.
func NewInterest(w *ecs.World) *Interest {
	s := &Interest{filter: *generic.NewFilter5[Position, Replica, Appearance, Motion, Health]()}
	s.filter.Register(&w.ECS)
	return s
}

// Run moves entities between cells.
func (s *Interest) Run(w *ecs.World) {
	cells := ecs.Resource[spatial.Cells](w)
	tick := w.Time.Tick
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		p, r, a, m, h := q.Get()
		cell := cells.CellOf(p.X, p.Y)
		if cell == r.Cell {
			continue
		}
		if r.Cell != spatial.NoCell {
			cells.Leave(r.Cell, r.Slot, uint32(tick))
		}
		r.Cell, r.Slot = cell, cells.Insert(cell, q.Entity())
		r.EnteredAt = tick
		publish(cells, r, p, a, m, h)
		cells.Entered(cell, uint32(tick), EnterRecord(r, a))
	}
}

// publish makes the entity's current quantized state the published one.
func publish(cells *spatial.Cells, r *Replica, p *Position, a *Appearance, m *Motion, h *Health) {
	r.QX, r.QY = quantizeIn(cells, r.Cell, p)
	r.Heading = spatial.QuantizeHeading(float64(m.Heading))
	r.Health = spatial.QuantizeHealth(float64(h.Cur), float64(h.Max))
	r.Anim, r.Flags = a.Anim, a.Flags
}

// EnterRecord is the full published state of an entity in its cell.
func EnterRecord(r *Replica, a *Appearance) spatial.Enter {
	return spatial.Enter{ID: r.NetID, Slot: r.Slot, Template: a.Template, X: r.QX, Y: r.QY,
		Kind: a.Kind, Heading: r.Heading, Health: r.Health, Anim: r.Anim, Flags: r.Flags, Level: a.Level}
}

// quantizeIn returns a position in wire units from its cell's corner.
func quantizeIn(cells *spatial.Cells, cell int32, p *Position) (uint16, uint16) {
	ox, oy := cells.Origin(cell)
	limit := float64(cells.Size())*spatial.PosSteps - 1
	qx, _ := spatial.QuantizeOffset(min(max(float64(p.X-ox), 0), limit/spatial.PosSteps))
	qy, _ := spatial.QuantizeOffset(min(max(float64(p.Y-oy), 0), limit/spatial.PosSteps))
	return qx, qy
}
