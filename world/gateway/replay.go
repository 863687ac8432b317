package gateway

import (
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Replay. A player whose gateway died comes back through another with its
// session (a resume) and the number of the last chat line or system
// message it got. Its zone kept what it sent since, and gives back what
// the player missed up to the moment it routed the player here; from that
// moment it sends the player's events here. Those can come before this
// gateway holds the player, and certainly before the replay: so they wait
// (player.replaying, early.go) until the replay's answer is queued, and
// follow it. The player gets every numbered message once, in order, and
// the Party and Inventory its zone told on taking it back (a zone that
// restarted with the gateway) are not lost.

// replayWait is how long the zone's answer may take before the player's
// held events go out without it.
const replayWait = 2 * time.Second

// replay asks the zone for what a resumed player missed since (the client's
// last event), queues it, and then the events held meanwhile.
func (g *Node) replay(p *player, zone string, since uint64) {
	ask := node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().ReplayEvents(p.character, since)}
	err := g.node.Ask(zone, ask, replayWait, func(m node.Message, err error) { g.replayed(p, zone, m, err) })
	if err != nil {
		g.replayed(p, zone, node.Message{}, err)
	}
}

// replayed queues a zone's answer to a replay for p, then what waited.
func (g *Node) replayed(p *player, zone string, m node.Message, err error) {
	var msg wire.ZoneMessage
	if err == nil {
		err = codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg)
	}
	if err == nil && msg.BodyType() != wire.ZoneBodyZoneEventsReplayed {
		err = fmt.Errorf("the zone answered %s", msg.BodyType())
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	z := g.zones[zone]
	if !p.replaying || z == nil || g.playerIn(zone, p.character) != p {
		return // gone, moved, or its zone restarted: nothing to put first
	}
	p.replaying = false
	if err != nil {
		g.log.Warn("gateway: no replay of what a resumed player missed", "zone", zone, "character", p.character, "err", err)
	} else {
		var r wire.ZoneEventsReplayed
		codec.Member(msg.Body, &r)
		var ev wire.ZonePlayerEvent
		for i := 0; i < r.EventsLength(); i++ {
			if r.Events(&ev, i) && ev.Character() == p.character {
				g.queueEvent(z, p, ev.MessageBytes(), partyPlace{leader: ev.PartyLeader(), joined: ev.PartyJoined()})
			}
		}
	}
	if !p.arriving {
		g.takeEarly(z, p)
	}
}
