package gateway

import (
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// handOffRetries bound how long the gateway keeps entering a handed-off
// player into its new zone when the source could not hear the target (the
// target may be restarting: the reviver brings it back within seconds).
const (
	handOffRetries    = 30
	handOffRetryEvery = 500 * time.Millisecond
)

// handedOff moves a player to the zone its source zone handed it to: its
// subscriptions in the old zone go, the new zone's view is joined, the
// client gets a Welcome for its new entity in the new zone (its next
// snapshot is full state), and the realm's directory follows.
func (g *Node) handedOff(from string, h codec.HandedOff) {
	g.mu.Lock()
	p := g.playerIn(from, h.Character)
	ok := p != nil
	g.mu.Unlock()
	if !ok {
		return // gone, or moved already
	}
	if !g.node.Connected(h.Zone) {
		g.node.AddPeer(h.Zone, h.ZoneAddr) // an error means it is dialed already
	}
	if h.Entered != nil {
		g.moveTo(p, h.Zone, *h.Entered)
		return
	}
	g.enterInto(p, h.Zone, handOffRetries)
}

// enterInto asks a zone to take a player (after a handoff whose answer the
// source did not hear, or a source that restarted and found the character
// handed off, or a lost instance's exit), in the party it was in, retrying
// while the zone cannot answer.
func (g *Node) enterInto(p *player, zone string, tries int) {
	place := g.placeOf(p)
	payload := codec.NewZoneEncoder().HandOffPlayer(p.character, g.cfg.Node.ID, place.leader, place.joined)
	retry := func(why string) {
		if tries <= 1 {
			go g.disconnect(p, wire.DisconnectReasonServerError, "your character could not enter "+zone+": "+why)
			return
		}
		g.node.After(handOffRetryEvery, func() { g.enterInto(p, zone, tries-1) })
	}
	err := g.node.Ask(zone, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: payload}, g.cfg.Handshake, func(m node.Message, err error) {
		pe, err := readEntered(m, err)
		switch {
		case err == nil:
			g.moveTo(p, zone, pe)
		case pe.MovedTo != "" && pe.MovedTo != zone:
			if !g.node.Connected(pe.MovedTo) {
				g.node.AddPeer(pe.MovedTo, pe.MovedToAddr)
			}
			g.enterInto(p, pe.MovedTo, tries-1)
		case pe.Refused != "":
			go g.disconnect(p, wire.DisconnectReasonServerError, "your character could not enter "+zone+": "+pe.Refused)
		default:
			retry(err.Error())
		}
	})
	if err != nil {
		retry(err.Error())
	}
}

// moveTo puts a player under its entity in another zone.
func (g *Node) moveTo(p *player, zone string, pe codec.PlayerEntered) {
	rules := g.maps.rules(pe)
	g.mu.Lock()
	if g.players[p.key()] != p {
		g.mu.Unlock()
		return
	}
	if old := g.zones[p.zone]; old != nil && p.zone != zone {
		if old.byNet[p.netID] == p {
			delete(old.byNet, p.netID)
		}
		g.unwatch(old, p)
	}
	z := g.zoneFor(zone, pe, rules)
	p.zone = zone
	p.zv.Store(z)
	p.arriving = true // its events wait for its Welcome (back)
	g.metrics.handoffs.Inc()
	g.mu.Unlock()
	g.node.Send(p.realm, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PlayerMoved(p.character, zone)})
	g.back(z, p, pe)
}

// newZoneView is the gateway's view of a zone, from the zone's answer to
// a player's entry.
func newZoneView(g *Node, id string, pe codec.PlayerEntered, rules *moveRules) *zoneView {
	z := &zoneView{id: id, mirror: spatial.NewMirror(), refs: map[uint32]int{}, awaiting: map[uint32]bool{}, byNet: map[uint32]*player{}, cellSize: int32(pe.CellSize) * spatial.PosSteps,
		tickLen: time.Second / time.Duration(max(pe.TickHz, 1)),
		pacer:   newPacer(g.clock, &g.replaced), sights: map[uint64]*sight{}, viewRadius: int32(max(pe.ViewRadius, 1)),
		maxVisible: int(pe.MaxVisible)}
	z.moves.Store(rules)
	return z
}

// zoneFor returns the gateway's view of zone id (g.mu held), made from pe
// when it has none. An instance node of the pool hosts one copy after
// another, each with its own map: when pe's map is not the one the view
// checks moves on, the view takes pe's (rules, from g.maps before g.mu is
// taken: a map is not generated under it), and when none of this
// gateway's players are left in it, pe's cells and tick as well.
func (g *Node) zoneFor(id string, pe codec.PlayerEntered, rules *moveRules) *zoneView {
	z := g.zones[id]
	if z == nil {
		z = newZoneView(g, id, pe, rules)
		g.zones[id] = z
		return z
	}
	if z.moves.Load() == rules {
		return z
	}
	z.moves.Store(rules)
	if len(z.byNet) == 0 && len(z.refs) == 0 {
		z.cellSize = int32(pe.CellSize) * spatial.PosSteps
		z.tickLen = time.Second / time.Duration(max(pe.TickHz, 1))
		z.viewRadius = int32(max(pe.ViewRadius, 1))
		z.maxVisible = int(pe.MaxVisible)
	}
	return z
}
