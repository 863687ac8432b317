package client

import (
	"errors"
	"fmt"
	"maps"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Entity is an entity as the client sees it.
type Entity struct {
	ID                           uint32
	X, Y                         float64 // metres
	Heading, Health, Anim, Flags uint8
	Kind                         wire.EntityKind
	Template                     uint16
	Level                        uint8
}

// views is how many snapshot views World keeps (more than the gateway
// keeps baselines for).
const views = 64

// ErrNoBaseline: a snapshot is a delta against a snapshot this client does
// not have (lost, or too old). It is skipped.
var ErrNoBaseline = errors.New("snapshot baseline not held")

// World is the client's view of the entities it sees.
type World struct {
	history [views]view
	latest  uint32
}

type view struct {
	seq      uint32
	entities map[uint32]Entity
}

// Latest returns the newest snapshot applied: what to acknowledge.
func (w *World) Latest() uint32 { return w.latest }

// Apply applies a snapshot. An old or repeated snapshot is ignored (the
// newest wins); one whose baseline is not held returns ErrNoBaseline.
func (w *World) Apply(s *codec.Snapshot) error {
	if s.Seq <= w.latest {
		return nil
	}
	var base map[uint32]Entity
	if s.Baseline != 0 {
		b := &w.history[s.Baseline%views]
		if b.seq != s.Baseline || b.entities == nil {
			return fmt.Errorf("%w: snapshot %d wants %d", ErrNoBaseline, s.Seq, s.Baseline)
		}
		base = b.entities
	}
	slot := &w.history[s.Seq%views]
	next := slot.entities
	if next == nil {
		next = map[uint32]Entity{}
	}
	clear(next)
	maps.Copy(next, base)
	ox, oy := float64(s.OriginX), float64(s.OriginY)
	for _, id := range s.Leaves {
		delete(next, id)
	}
	for _, e := range s.Enters {
		next[e.ID] = Entity{ID: e.ID, X: ox + spatial.DequantizeOffset(e.X), Y: oy + spatial.DequantizeOffset(e.Y),
			Heading: e.Heading, Health: e.Health, Anim: e.Anim, Flags: e.Flags, Kind: e.Kind, Template: e.Template, Level: e.Level}
	}
	for _, m := range s.Moves {
		if e, ok := next[m.ID]; ok {
			e.X, e.Y = ox+spatial.DequantizeOffset(m.X), oy+spatial.DequantizeOffset(m.Y)
			next[m.ID] = e
		}
	}
	for _, st := range s.States {
		if e, ok := next[st.ID]; ok {
			e.Heading, e.Health, e.Anim, e.Flags = st.Heading, st.Health, st.Anim, st.Flags
			next[st.ID] = e
		}
	}
	slot.seq, slot.entities = s.Seq, next
	w.latest = s.Seq
	return nil
}

// Entity returns one entity of the newest view.
func (w *World) Entity(id uint32) (Entity, bool) {
	v := &w.history[w.latest%views]
	if v.seq != w.latest || v.entities == nil {
		return Entity{}, false
	}
	e, ok := v.entities[id]
	return e, ok
}

// Len counts the entities of the newest view.
func (w *World) Len() int {
	v := &w.history[w.latest%views]
	if v.seq != w.latest {
		return 0
	}
	return len(v.entities)
}

// Each calls fn for every entity of the newest view.
func (w *World) Each(fn func(e Entity)) {
	v := &w.history[w.latest%views]
	if v.seq != w.latest {
		return
	}
	for _, e := range v.entities {
		fn(e)
	}
}
