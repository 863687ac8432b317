package gateway

import (
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// eventQueue is how many events may wait for a player's stream; a player
// who lets more pile up is not reading, and is disconnected.
const eventQueue = 256

// writeEvents sends the zone's events to the player, off the main loop: a
// stream under flow control must not stall every other player.
func (g *Node) writeEvents(p *player) {
	for {
		select {
		case <-p.s.Done():
			return
		case b := <-p.events:
			if p.s.Send(b) != nil {
				return
			}
		}
	}
}

// readStream reads the player's reliable messages, within their budgets:
// chat goes to the zone to route, item uses and trades to the zone to
// judge, questions of who entities are answered from the names kept or
// by the zone (names.go), a logout ends the connection.
func (g *Node) readStream(p *player) {
	var m wire.ClientMessage
	zenc, penc := codec.NewZoneEncoder(), codec.NewPlayerEncoder()
	for {
		b, err := p.s.Recv(time.Time{})
		if err != nil {
			return
		}
		if err := codec.DecodeClientMessage(b, &m); err != nil {
			g.disconnect(p, wire.DisconnectReasonProtocolError, "a message that does not decode")
			return
		}
		bud, kind := p.other, "other"
		if m.BodyType() == wire.ClientBodyChatSend {
			bud, kind = p.chat, "chat"
		}
		ok, flood := bud.take(g.clock.Now())
		switch {
		case flood:
			g.disconnect(p, wire.DisconnectReasonMessageFlood, "far too many messages")
			return
		case !ok:
			g.metrics.dropped.WithLabelValues(kind).Inc()
			continue
		}
		switch m.BodyType() {
		case wire.ClientBodyChatSend:
			var c wire.ChatSend
			codec.Member(m.Body, &c)
			g.node.Send(p.zone, node.Out{Kind: kinds.Zone, Priority: node.Gameplay,
				Payload: zenc.Chat(p.character, c.Channel(), string(c.To()), string(c.Text()))})
		case wire.ClientBodyWhoIs:
			var w wire.WhoIs
			codec.Member(m.Body, &w)
			g.whoIs(p, &w, penc, zenc) // names.go
		case wire.ClientBodyItemUse, wire.ClientBodyItemDrop, wire.ClientBodyTradeOffer, wire.ClientBodyTradeAnswer:
			// The zone's to judge: forwarded as the player sent it.
			g.node.Send(p.zone, node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: zenc.PlayerRequest(p.character, b)})
		case wire.ClientBodyLogout:
			p.s.Close(0, "logged out")
			return
		case wire.ClientBodyLoginRequest, wire.ClientBodyConnect:
			g.disconnect(p, wire.DisconnectReasonProtocolError, "already connected")
			return
		}
	}
}

// disconnect tells the player why, then closes its connection.
func (g *Node) disconnect(p *player, reason wire.DisconnectReason, text string) {
	g.metrics.disconnects.WithLabelValues(reason.String()).Inc()
	// What is queued for the player goes first: the last system message
	// ("the realm restarts now") is often sent just before the close.
	for drained := false; !drained; {
		select {
		case b := <-p.events:
			p.s.Send(b)
		default:
			drained = true
		}
	}
	p.s.Send(codec.NewPlayerEncoder().Disconnect(reason, text))
	p.s.Close(reason, text)
}
