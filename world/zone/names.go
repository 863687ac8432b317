package zone

import (
	"bytes"
	"slices"

	arche "github.com/mlange-42/arche/ecs"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/world/content"
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
					n.Name = d.Title
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

// Reloaded implements script.ReloadHost: the NPC templates the reload
// renamed are told to every player in the zone (Names entries of id 0,
// codec.Named.Renames), so that its client and its gateway rename what
// they kept of that template's entities; without it a client keeps the
// old name until it leaves the zone. Names asked from now on are the new
// ones: whoIs reads the reloaded set.
func (zn *Node) Reloaded(old, set *content.Set) {
	renamed := renamedNPCs(old, set)
	if len(renamed) == 0 {
		return
	}
	for chunk := range slices.Chunk(renamed, codec.MaxWhoIs) {
		// Numbered and kept as chat is: a player whose gateway dies before
		// it passes gets it again through the next (a Names carries no
		// number, so a client may be told it twice: renaming is idempotent).
		seq := zn.nextSeq()
		msg := bytes.Clone(zn.penc.Names(chunk))
		for _, p := range zn.players {
			zn.deliver(p.character, seq, msg)
		}
	}
	zn.log.Info("zone: content reload renamed NPC templates, players told", "templates", len(renamed), "players", len(zn.players))
}

// renamedNPCs returns the NPC templates of set that old called otherwise,
// as renames (codec.Named of id 0), by template.
func renamedNPCs(old, set *content.Set) []codec.Named {
	if old == nil {
		return nil
	}
	var renamed []codec.Named
	for _, d := range set.NPCs {
		if o := old.NPCByID(d.ID); o != nil && o.Title != d.Title {
			renamed = append(renamed, codec.Named{Kind: wire.EntityKindNpc, Template: d.ID, Name: d.Title})
		}
	}
	slices.SortFunc(renamed, func(a, b codec.Named) int { return int(a.Template) - int(b.Template) })
	return renamed
}
