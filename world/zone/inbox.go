package zone

import (
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// HandleMessage handles one message from a gateway, the realm or the db.
func (zn *Node) HandleMessage(_ *node.Node, m node.Message) {
	if m.Kind != kinds.Zone {
		zn.log.Warn("zone: unexpected message kind", "peer", m.From, "kind", m.Kind)
		return
	}
	var msg wire.ZoneMessage
	if err := codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg); err != nil {
		zn.log.Warn("zone: bad message", "peer", m.From, "err", err)
		return
	}
	switch msg.BodyType() {
	case wire.ZoneBodyZoneSubscribe:
		var s wire.ZoneSubscribe
		codec.Member(msg.Body, &s)
		zn.subscribe(m.From, s.CellsLength(), s.Cells, true)
	case wire.ZoneBodyZoneUnsubscribe:
		var s wire.ZoneUnsubscribe
		codec.Member(msg.Body, &s)
		zn.subscribe(m.From, s.CellsLength(), s.Cells, false)
	case wire.ZoneBodyZoneEnterPlayer:
		var e wire.ZoneEnterPlayer
		codec.Member(msg.Body, &e)
		gateway := string(e.Gateway())
		if gateway == "" {
			gateway = m.From
		}
		zn.enter(m, e.Character(), gateway, partyRole{leader: e.PartyLeader(), joined: e.PartyJoined()}, e.Login())
	case wire.ZoneBodyZoneLeavePlayer:
		var l wire.ZoneLeavePlayer
		codec.Member(msg.Body, &l)
		zn.leave(l.Character(), true)
	case wire.ZoneBodyZoneInputs:
		var in wire.ZoneInputs
		codec.Member(msg.Body, &in)
		start := len(zn.inputs)
		zn.inputs = codec.ReadInputs(&in, zn.inputs)
		for i := start; i < len(zn.inputs); i++ {
			if p := zn.players[zn.inputs[i].Character]; p == nil || p.gateway != m.From {
				zn.inputs[i].Character = 0 // not this gateway's player: ignored
			} else if p.retell {
				zn.retell(p)
			}
		}
	case wire.ZoneBodyZoneChat:
		var c wire.ZoneChat
		codec.Member(msg.Body, &c)
		if p := zn.players[c.Character()]; p != nil && p.gateway == m.From {
			zn.chat(p, c.Channel(), string(c.To()), string(c.Text()))
		}
	case wire.ZoneBodyZonePlayerRequest:
		var r wire.ZonePlayerRequest
		codec.Member(msg.Body, &r)
		zn.request(m.From, r.Character(), r.MessageBytes())
	case wire.ZoneBodyZoneLoadInstance:
		var l wire.ZoneLoadInstance
		codec.Member(msg.Body, &l)
		zn.loadAsked(m, codec.ReadLoadInstance(&l))
	case wire.ZoneBodyZoneReplayEvents:
		var r wire.ZoneReplayEvents
		codec.Member(msg.Body, &r)
		var evs []codec.PlayerEvent
		if p := zn.players[r.Character()]; p != nil && p.gateway == m.From {
			evs = zn.replayed(p, r.Since())
		}
		if m.Corr != 0 { // asked: answered, none when the player is not here
			zn.node.Reply(m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.EventsReplayed(evs)})
			break
		}
		for _, ev := range evs {
			zn.queueEvent(ev)
		}
	case wire.ZoneBodyZonePartiesChanged:
		var c wire.ZonePartiesChanged
		codec.Member(msg.Body, &c)
		zn.partiesChanged(m.From, codec.ReadPartiesChanged(&c))
	default:
		zn.log.Warn("zone: unexpected message", "peer", m.From, "body", msg.BodyType())
	}
}

// HandlePeer lets a gateway's players go when the gateway is gone: at
// once when a new incarnation of it links up (the old one's players went
// with it), or when its link stays down for GatewayGrace. A player who
// reconnected through another gateway meanwhile is that gateway's now and
// stays. A gateway that comes back subscribes again.
//
// Only players the gateway held when its link went down go: one entered
// since (through the gateway's new incarnation, whose link to this zone may
// come up after the realm placed the player) stays.
func (zn *Node) HandlePeer(_ *node.Node, e node.PeerEvent) {
	if e.Peer == zn.cfg.Realm.Zone || zn.isPoolRealm(e.Peer) {
		if e.Up && zn.cfg.Pool != nil && zn.loaded == "" {
			zn.tellIdle("", e.Peer)
		}
		return
	}
	switch {
	case e.Up && e.Restarted:
		zn.gatewayGone(e.Peer)
	case !e.Up && zn.orphan(e.Peer):
		peer := e.Peer
		zn.node.After(zn.cfg.GatewayGrace, func() {
			if !zn.node.Connected(peer) {
				zn.gatewayGone(peer)
			}
		})
	}
}

// orphan marks the players a gateway forwards as orphaned, and reports
// whether there were any.
func (zn *Node) orphan(gateway string) bool {
	found := false
	for _, p := range zn.players {
		if p.gateway == gateway {
			p.orphaned, found = true, true
		}
	}
	return found
}

// gatewayGone saves and takes out every player the gateway held when its
// link went down, and forgets its subscriptions.
func (zn *Node) gatewayGone(gateway string) {
	n := 0
	for character, p := range zn.players {
		if p.gateway == gateway && p.orphaned {
			zn.goneAway(p)
			if p.handoff != nil { // the db says the target's: not saved here
				zn.leave(character, true)
			} else {
				// Away, and still in its party while it is (awayFor): it
				// may come back through another gateway (pruneHistory).
				zn.save(p)
				zn.leaveKeepingParty(character)
			}
			n++
		}
	}
	if g, ok := zn.gateways[gateway]; ok {
		zn.zone.Publisher.DropGateway(g)
		zn.release(gateway)
	}
	if n > 0 {
		zn.log.Warn("zone: a gateway is gone, its players saved and taken out", "gateway", gateway, "players", n)
		zn.metrics.playersDropped.Add(float64(n))
	}
}

// applyInputs turns this tick's forwarded inputs into intents.
func (zn *Node) applyInputs() {
	for _, in := range zn.inputs {
		p := zn.players[in.Character]
		if in.Character == 0 || p == nil || p.handoff != nil {
			continue // a player being handed off stands still
		}
		pl := zn.input.Get(p.entity)
		pl.MoveX, pl.MoveY = float32(in.MoveX)/127, float32(in.MoveY)/127
		pl.Heading = float32(spatial.DequantizeHeading(in.Heading))
		pl.Actions = in.Actions
	}
	zn.inputs = zn.inputs[:0]
}
