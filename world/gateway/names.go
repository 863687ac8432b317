package gateway

import (
	"cmp"
	"slices"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Names, answered by the gateway where it can. A client asks who the
// entities it is shown are (WhoIs); the zone answers (Names) for those the
// player can see, at the cost of the entities in the player's view cells,
// on the zone's one thread. In a crowd every client asks about the same
// entities: a crowd of 1,000 forming is a million names and 16 million
// entity visits on the zone. So each gateway keeps the names its zones
// told its players (namesFor), and answers a question itself for every
// asked entity it has a name for that the asking player is shown now (in
// its client's view: a subset of what the zone would name, so nothing the
// player cannot see is told), forwarding only the rest. Entity ids are
// never reused within a zone's life (a restart forgets them all), so a
// name kept is never another entity's. An NPC's name is its template's,
// which a content reload may change: the zone then tells every player the
// template's new name (an entry of id 0, codec.Named.Renames), and the
// gateway renames what it kept of that template as the first of those
// passes through (renameKept). Kept names expire after namesFor, so that
// the names of entities gone (an NPC respawns under a new id) do not pile
// up.
const (
	namesFor  = time.Minute
	namesKept = 1 << 16 // names per zone, at most
)

// keptName is a name a zone told, and when.
type keptName struct {
	codec.Named
	at time.Time
}

// keepNames keeps what a Names event of z tells; g.mu is held.
func (z *zoneView) keepNames(names *wire.Names, now time.Time) {
	if z.names == nil {
		z.names = map[uint32]keptName{}
	}
	var got [codec.MaxWhoIs]codec.Named
	for _, n := range codec.ReadNames(names, got[:0]) {
		if n.Renames() {
			z.renameKept(n)
			continue
		}
		if len(z.names) >= namesKept {
			z.pruneNames(now, true)
			if len(z.names) >= namesKept {
				return
			}
		}
		z.names[n.ID] = keptName{Named: n, at: now}
	}
}

// templateKey is an entity template: its kind and template number.
type templateKey struct {
	kind     wire.EntityKind
	template uint16
}

// renameKept gives the kept names of a template a content reload renamed
// its new name, once for each rename (the zone tells it to each of its
// players); g.mu is held.
func (z *zoneView) renameKept(r codec.Named) {
	k := templateKey{r.Kind, r.Template}
	if name, told := z.renamed[k]; told && name == r.Name {
		return
	}
	if z.renamed == nil {
		z.renamed = map[templateKey]string{}
	}
	z.renamed[k] = r.Name
	for id, n := range z.names {
		if r.Renamed(n.Named) {
			n.Name = r.Name
			z.names[id] = n
		}
	}
}

// pruneNames forgets the names kept past namesFor, at most every
// namesFor/4 unless now; g.mu is held.
func (z *zoneView) pruneNames(now time.Time, force bool) {
	if !force && now.Sub(z.namesPruned) < namesFor/4 {
		return
	}
	z.namesPruned = now
	for id, n := range z.names {
		if now.Sub(n.at) >= namesFor {
			delete(z.names, id)
		}
	}
}

// answerNames splits a player's WhoIs: the names the gateway kept of
// entities the player is shown now go into named, the rest into ask (for
// the zone); both are appended to. It takes g.mu.
func (g *Node) answerNames(p *player, ids []uint32, named []codec.Named, ask []uint32) ([]codec.Named, []uint32) {
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	z := g.zones[p.zone]
	if z == nil || p.arriving {
		return named, append(ask, ids...)
	}
	shown := p.view.Shown()
	for _, id := range ids {
		n, kept := z.names[id]
		_, seen := slices.BinarySearchFunc(shown, id, func(h Held, id uint32) int { return cmp.Compare(h.ID, id) })
		if kept && seen && now.Sub(n.at) < namesFor {
			named = append(named, n.Named)
		} else {
			ask = append(ask, id)
		}
	}
	return named, ask
}

// whoIs answers a player's WhoIs with the names the gateway kept, and
// forwards the rest of the question to its zone; the stream's goroutine.
func (g *Node) whoIs(p *player, w *wire.WhoIs, penc *codec.PlayerEncoder, zenc *codec.ZoneEncoder) {
	var idBuf [codec.MaxWhoIs]uint32
	var namedBuf [codec.MaxWhoIs]codec.Named
	var askBuf [codec.MaxWhoIs]uint32
	named, ask := g.answerNames(p, codec.ReadWhoIs(w, idBuf[:0]), namedBuf[:0], askBuf[:0])
	if len(named) > 0 {
		g.metrics.names.WithLabelValues("gateway").Add(float64(len(named)))
		select {
		case p.events <- append([]byte(nil), penc.Names(named)...):
		default: // its queue is full: the client asks again
		}
	}
	if len(ask) > 0 {
		g.metrics.names.WithLabelValues("zone").Add(float64(len(ask)))
		g.node.Send(p.zone, node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: zenc.PlayerRequest(p.character, penc.WhoIs(ask))})
	}
}
