package client

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Entity is an entity as the client sees it. (Its fields are in the order
// that packs it in 32 bytes: a client holds one per entity per view.)
type Entity struct {
	X, Y                         float64 // metres
	ID                           uint32
	Template                     uint16
	Heading, Health, Anim, Flags uint8
	Kind                         wire.EntityKind
	Level                        uint8
}

// views is how many snapshot views World keeps: as many as a baseline may
// be old (a delta's baseline is at most that many snapshots back, and may
// share its view's slot: Apply copies it in place).
const views = codec.SnapshotBaselines

// ErrNoBaseline: a snapshot is a delta against a snapshot this client does
// not have (lost, or too old). It is skipped.
var ErrNoBaseline = errors.New("snapshot baseline not held")

// World is the client's view of the entities it sees.
type World struct {
	history [views]view
	latest  uint32
	self    uint32   // the entity the newest full-state snapshot named the player's
	enters  []Entity // scratch of Apply
	gone    []int    // scratch of Apply
}

// view is the entities of one snapshot, sorted by ID: applying a delta
// copies its baseline's slice (one memmove) and finds entities by binary
// search, several times cheaper than copying a map per snapshot.
type view struct {
	seq      uint32
	entities []Entity
	valid    bool
}

// Latest returns the newest snapshot applied: what to acknowledge.
func (w *World) Latest() uint32 { return w.latest }

// Self returns the player's own entity as the newest full-state snapshot
// applied named it (0: none did).
func (w *World) Self() uint32 { return w.self }

// Apply applies a snapshot. An old or repeated snapshot is ignored (the
// newest wins); one whose baseline is not held returns ErrNoBaseline.
func (w *World) Apply(s *codec.Snapshot) error {
	if s.Seq <= w.latest {
		return nil
	}
	var base []Entity
	if s.Baseline != 0 {
		b := &w.history[s.Baseline%views]
		if b.seq != s.Baseline || !b.valid {
			return fmt.Errorf("%w: snapshot %d wants %d", ErrNoBaseline, s.Seq, s.Baseline)
		}
		base = b.entities
	}
	slot := &w.history[s.Seq%views]
	next := slot.entities[:0]
	if need := len(base) + len(s.Enters); cap(next) < need {
		// With room to grow: a view in a crowd gains entities now and
		// then, and the slot comes round again 32 snapshots later.
		next = make([]Entity, 0, need+need/4)
	}
	next = append(next, base...) // base may be this very slot, views snapshots ago: a no-op copy
	ox, oy := float64(s.OriginX), float64(s.OriginY)
	if len(s.Leaves) > 0 {
		gone := w.gone[:0]
		for _, id := range s.Leaves { // find them all before marking: marks unsort the slice
			if i, ok := find(next, id); ok {
				gone = append(gone, i)
			}
		}
		for _, i := range gone {
			next[i].ID = 0
		}
		next = slices.DeleteFunc(next, func(e Entity) bool { return e.ID == 0 })
		w.gone = gone
	}
	w.enters = w.enters[:0]
	for _, e := range s.Enters {
		n := Entity{ID: e.ID, X: ox + spatial.DequantizeOffset(e.X), Y: oy + spatial.DequantizeOffset(e.Y),
			Heading: e.Heading, Health: e.Health, Anim: e.Anim, Flags: e.Flags, Kind: e.Kind, Template: e.Template, Level: e.Level}
		if i, ok := find(next, e.ID); ok {
			next[i] = n
		} else if e.ID != 0 {
			w.enters = append(w.enters, n) // one entered twice: mergeEnters keeps the last
		}
	}
	if len(w.enters) > 0 {
		next = mergeEnters(next, w.enters)
	}
	for _, m := range s.Moves {
		if i, ok := find(next, m.ID); ok {
			next[i].X, next[i].Y = ox+spatial.DequantizeOffset(m.X), oy+spatial.DequantizeOffset(m.Y)
		}
	}
	for _, st := range s.States {
		if i, ok := find(next, st.ID); ok {
			e := &next[i]
			e.Heading, e.Health, e.Anim, e.Flags = st.Heading, st.Health, st.Anim, st.Flags
		}
	}
	slot.seq, slot.entities, slot.valid = s.Seq, next, true
	w.latest = s.Seq
	if s.Baseline == 0 && s.Self != 0 {
		w.self = s.Self
	}
	return nil
}

// mergeEnters adds enters (none of them in es; an ID twice: the last
// counts) to es, both in ID order after: the few that enter are sorted and
// merged from the back, in place, instead of sorting the whole view (in a
// crowd of 1,000, sorting each snapshot's view was a third of a bot's CPU,
// and looking for each entering entity among those before it made a full
// snapshot's thousand enters quadratic).
func mergeEnters(es, enters []Entity) []Entity {
	slices.SortStableFunc(enters, func(a, b Entity) int { return cmp.Compare(a.ID, b.ID) })
	kept := 0
	for k := range enters { // of equal IDs, the last entered is the last in the run
		if k+1 < len(enters) && enters[k+1].ID == enters[k].ID {
			continue
		}
		enters[kept], kept = enters[k], kept+1
	}
	enters = enters[:kept]
	i, j := len(es)-1, len(enters)-1
	es = append(es, enters...) // the room; its contents are overwritten
	for k := len(es) - 1; j >= 0; k-- {
		if i >= 0 && es[i].ID > enters[j].ID {
			es[k], i = es[i], i-1
		} else {
			es[k], j = enters[j], j-1
		}
	}
	return es
}

// find returns the index of entity id in es (sorted by ID).
func find(es []Entity, id uint32) (int, bool) {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].ID < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(es) && es[lo].ID == id
}

// newest returns the newest view's entities, or nil.
func (w *World) newest() []Entity {
	v := &w.history[w.latest%views]
	if v.seq != w.latest || !v.valid {
		return nil
	}
	return v.entities
}

// Entity returns one entity of the newest view.
func (w *World) Entity(id uint32) (Entity, bool) {
	es := w.newest()
	if i, ok := find(es, id); ok {
		return es[i], true
	}
	return Entity{}, false
}

// Len counts the entities of the newest view.
func (w *World) Len() int { return len(w.newest()) }

// Each calls fn for every entity of the newest view, in ID order.
func (w *World) Each(fn func(e Entity)) {
	for _, e := range w.newest() {
		fn(e)
	}
}
