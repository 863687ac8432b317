package zone

import (
	"bytes"
	"slices"

	arche "github.com/mlange-42/arche/ecs"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Names. A snapshot shows an entity by its id, kind, template and level,
// never its name: a name is sent once, not twenty times a second. A
// client asks who the entities it is shown are (WhoIs, at most
// codec.MaxWhoIs ids) and the zone answers Names: each asked entity in the
// cells the player is shown (its own and ViewRadius around: what its
// gateway watches for it), with a player's character name or an NPC
// template's name from the zone's content. What the player cannot see is
// not told, so that ids cannot be walked to list a zone's players. The
// cost is bounded by the entities in those cells, once per question, and
// the gateway budgets questions as every other request.

// whoIs answers a player's WhoIs; ids is scratch (zn.asked).
func (zn *Node) whoIs(p *player, ids []uint32) {
	zn.asked = ids
	w := zn.zone.World
	if len(ids) == 0 || !w.ECS.Alive(p.entity) {
		return
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	cells := ecs.Resource[spatial.Cells](w)
	set := zn.content.Load()
	pos := zn.pos.Get(p.entity)
	named := zn.named[:0]
	cells.Area(cells.CellOf(pos.X, pos.Y), zn.zone.Config().ViewRadius, func(c int32) {
		cells.Each(c, func(_ uint16, e arche.Entity) {
			id := zn.rep.Get(e).NetID
			if _, asked := slices.BinarySearch(ids, id); !asked {
				return
			}
			a := zn.app.Get(e)
			n := codec.Named{ID: id, Kind: wire.EntityKind(a.Kind), Template: a.Template}
			switch a.Kind {
			case spatial.KindPlayer:
				if q := zn.players[zn.byEntity[e]]; q != nil {
					n.Name = q.name
				}
			case spatial.KindNPC:
				if d := set.NPCByID(a.Template); d != nil {
					n.Name = d.Name
				}
			}
			named = append(named, n)
		})
	})
	zn.named = named
	zn.metrics.whoIs.Inc()
	zn.metrics.named.Add(float64(len(named)))
	if len(named) > 0 {
		zn.event(p.character, bytes.Clone(zn.penc.Names(named)))
	}
}
