package gateway

import (
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// zoneRestarted brings this gateway's players back into a zone that
// restarted (a crash and the reviver, or an operator): the new incarnation
// knows no one and holds no subscription. The mirror of its cells is
// forgotten, and each player is entered again (the zone loads the
// character from its last checkpoint and claims it with a new epoch). The
// player stays connected: its next snapshots are full state (the new
// incarnation numbers its entities afresh), and a new Welcome on its stream
// tells the client its new entity. A player the zone does not take back is disconnected with the
// reason, and its client may resume.
func (g *Node) zoneRestarted(z *zoneView) {
	g.mu.Lock()
	z.mirror, z.refs, z.awaiting, z.sights = spatial.NewMirror(), map[uint32]int{}, map[uint32]bool{}, map[uint64]*sight{}
	z.names, z.renamed = nil, nil // the new incarnation numbers its entities afresh
	var players []*player
	for _, p := range g.players {
		if p.zone == z.id {
			p.cells = nil     // subscribed again once back
			p.arriving = true // the new incarnation's events wait for its Welcome (back)
			players = append(players, p)
		}
	}
	g.mu.Unlock()
	g.log.Warn("gateway: a zone restarted, entering its players again", "zone", z.id, "players", len(players))
	g.metrics.zoneRestarts.Inc()
	for _, p := range players {
		g.reenter(z, p)
	}
}

// reenter asks the restarted zone to take one player back, in the party
// it was in there (place.go).
func (g *Node) reenter(z *zoneView, p *player) {
	place := g.placeOf(p)
	payload := g.zenc.HandOffPlayer(p.character, g.cfg.Node.ID, place.leader, place.joined)
	err := g.node.Ask(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: payload}, g.cfg.Handshake, func(m node.Message, err error) {
		pe, err := readEntered(m, err)
		if err != nil && pe.MovedTo != "" {
			// Handed off while the zone went down: the db says it is the
			// target's now.
			if !g.node.Connected(pe.MovedTo) {
				g.node.AddPeer(pe.MovedTo, pe.MovedToAddr)
			}
			g.enterInto(p, pe.MovedTo, handOffRetries)
			return
		}
		if err != nil {
			g.log.Warn("gateway: a restarted zone did not take a player back", "zone", z.id, "character", p.character, "err", err)
			go g.disconnect(p, wire.DisconnectReasonServerError, "the zone restarted and could not take your character back")
			return
		}
		g.back(z, p, pe)
	})
	if err != nil {
		go g.disconnect(p, wire.DisconnectReasonServerError, "the zone restarted and cannot be reached")
	}
}

// back puts a player taken back by its zone under its new entity.
func (g *Node) back(z *zoneView, p *player, pe codec.PlayerEntered) {
	g.mu.Lock()
	if g.players[p.key()] != p {
		g.mu.Unlock()
		return // gone meanwhile
	}
	if z.byNet[p.netID] == p {
		delete(z.byNet, p.netID)
	}
	// Its events go out from now on, after its Welcome (queued under the
	// same lock: one before it would be undone by it, a Party); those that
	// came before waited (early.go).
	p.arriving = false
	p.replaying = false // what the zone's last incarnation kept is gone with it
	p.netID, p.px, p.py = pe.NetID, pe.X, pe.Y
	p.view.Self = pe.NetID
	p.view.Forget()       // the new incarnation numbered its entities afresh
	p.selfWait = selfWait // its entity may come with the zone's next tick
	p.party = p.party[:0] // a party is its zone's: a Welcome ends it
	p.auth.Store(pack(p.px, p.py))
	z.byNet[p.netID] = p
	g.watch(z, p)
	welcome := codec.Welcome{EntityID: p.netID, Zone: z.id, TickHz: pe.TickHz, CellSize: pe.CellSize,
		SnapshotBudget: uint16(p.view.budget), X: pe.X, Y: pe.Y, ResumeToken: p.resume, ZoneName: pe.ZoneName}
	defer g.mu.Unlock()
	select {
	case p.events <- codec.NewPlayerEncoder().Welcome(&welcome):
		g.takeEarly(z, p)
	default:
		go g.disconnect(p, wire.DisconnectReasonServerError, "events are not being read")
	}
}

// readEntered decodes a zone's answer to ZoneEnterPlayer.
func readEntered(m node.Message, err error) (codec.PlayerEntered, error) {
	if err != nil {
		return codec.PlayerEntered{}, err
	}
	return codec.DecodePlayerEntered(m.Payload)
}

// reportPlayers tells a realm node that restarted which players this
// gateway holds, with their zones and resume tokens: its directory is
// rebuilt from what the gateways report.
func (g *Node) reportPlayers(realm string) {
	g.mu.Lock()
	players := make([]codec.PlayerAtGateway, 0, len(g.players))
	for _, p := range g.players {
		if p.realm == realm {
			players = append(players, codec.PlayerAtGateway{Character: p.character, Account: p.account, Zone: p.zone, ResumeToken: p.resume})
		}
	}
	g.mu.Unlock()
	payload := codec.NewRealmEncoder().GatewayPlayers(players)
	if err := g.node.Send(realm, node.Out{Kind: kinds.Realm, Priority: node.Control, Volatile: true, Payload: payload}); err != nil {
		g.log.Warn("gateway: players not reported to the restarted realm node", "err", err)
		return
	}
	g.log.Info("gateway: players reported to the restarted realm node", "players", len(players))
}
