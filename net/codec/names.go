package codec

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// MaxWhoIs bounds the entities one WhoIs asks about, and so the names one
// Names tells.
const MaxWhoIs = 64

// Named is an entity's name and what else of it rarely changes, as a
// Names tells it. One of ID 0 (Renames) names a template instead: every
// entity of its kind and template is called Name from now on (a content
// reload renamed it).
type Named struct {
	ID       uint32 // its entity in the zone, as in snapshots; 0: a template
	Kind     wire.EntityKind
	Template uint16
	Name     string // a player's character name, an NPC template's name
}

// Renames reports whether n renames a template rather than names an
// entity.
func (n Named) Renames() bool { return n.ID == 0 }

// Renamed reports whether k, a name kept of an entity, is of the template
// n renames and called otherwise.
func (n Named) Renamed(k Named) bool {
	return k.Kind == n.Kind && k.Template == n.Template && k.Name != n.Name
}

// WhoIs returns a player's question about entities (the first MaxWhoIs of
// ids).
func (e *PlayerEncoder) WhoIs(ids []uint32) []byte {
	b := e.b
	b.Reset()
	n := min(len(ids), MaxWhoIs)
	b.StartVector(4, n, 4)
	for i := n - 1; i >= 0; i-- {
		b.PrependUint32(ids[i])
	}
	v := b.EndVector(n)
	wire.WhoIsStart(b)
	wire.WhoIsAddIds(b, v)
	return e.client(wire.ClientBodyWhoIs, wire.WhoIsEnd(b))
}

// ReadWhoIs appends a checked WhoIs's ids to ids.
func ReadWhoIs(w *wire.WhoIs, ids []uint32) []uint32 {
	for i := 0; i < w.IdsLength(); i++ {
		ids = append(ids, w.Ids(i))
	}
	return ids
}

// Names returns the answer to a WhoIs (the first MaxWhoIs of named).
func (e *PlayerEncoder) Names(named []Named) []byte {
	b := e.b
	b.Reset()
	n := min(len(named), MaxWhoIs)
	var offs [MaxWhoIs]flatbuffers.UOffsetT
	for i := 0; i < n; i++ {
		name := b.CreateString(clip(named[i].Name, MaxName))
		wire.SpawnStart(b)
		wire.SpawnAddId(b, named[i].ID)
		wire.SpawnAddName(b, name)
		wire.SpawnAddTemplate(b, named[i].Template)
		wire.SpawnAddKind(b, named[i].Kind)
		offs[i] = wire.SpawnEnd(b)
	}
	v := offsetVector(b, offs[:n])
	wire.NamesStart(b)
	wire.NamesAddEntities(b, v)
	return e.server(wire.ServerBodyNames, wire.NamesEnd(b))
}

// ReadNames appends a checked Names's entities to named.
func ReadNames(w *wire.Names, named []Named) []Named {
	var s wire.Spawn
	for i := 0; i < w.EntitiesLength(); i++ {
		if w.Entities(&s, i) {
			named = append(named, Named{ID: s.Id(), Kind: s.Kind(), Template: s.Template(), Name: string(s.Name())})
		}
	}
	return named
}
