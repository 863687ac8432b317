package gateway

import (
	"bytes"
	"slices"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Early events. A zone answers a player's entry (a login's, through the
// realm node; a handoff's, through the zone it leaves) before its next tick
// carries the player's first events (its inventory, its party), and that
// tick can reach the gateway first, by another link. The gateway used to
// drop them: a player who did not steer (whose first input would have had
// the zone tell them again) entered a zone, or a dungeon with its party,
// knowing neither. Now a zone's events for a character the gateway does
// not hold in that zone wait, up to earlyFor and earlyMax of them, and go
// out after its Welcome when it arrives (join, back); those for a character
// that never arrives are forgotten. A resumed player's wait longer, for
// what it missed before them (replay.go).
const (
	earlyFor   = 5 * time.Second
	earlyMax   = 32   // events held for one character
	earlyChars = 1024 // characters held for, per zone
)

// heldEvents are a character's early events.
type heldEvents struct {
	since time.Time
	msgs  []heldEvent
}

// heldEvent is one early event: the message, and the party place it
// carries (place.go).
type heldEvent struct {
	msg   []byte
	place partyPlace
}

// holdEarly keeps an event of z for a character the gateway does not hold
// there (yet); g.mu is held.
func (g *Node) holdEarly(z *zoneView, character uint64, msg []byte, place partyPlace, now time.Time) {
	if z.early == nil {
		z.early = map[uint64]*heldEvents{}
	}
	h := z.early[character]
	if h == nil {
		if len(z.early) >= earlyChars {
			return
		}
		h = &heldEvents{since: now}
		z.early[character] = h
	}
	if len(h.msgs) < earlyMax {
		h.msgs = append(h.msgs, heldEvent{msg: bytes.Clone(msg), place: place})
		g.metrics.eventsEarly.Inc()
	}
}

// pruneEarly forgets what waited longer than earlyFor; g.mu is held.
func (z *zoneView) pruneEarly(now time.Time) {
	for c, h := range z.early {
		if now.Sub(h.since) > earlyFor {
			delete(z.early, c)
		}
	}
}

// takeEarly queues for a player now held in z, its Welcome queued or
// sent, the events that came for it before; g.mu is held.
func (g *Node) takeEarly(z *zoneView, p *player) {
	h := z.early[p.character]
	if h == nil {
		return
	}
	delete(z.early, p.character)
	for _, m := range h.msgs {
		g.queueEvent(z, p, m.msg, m.place)
	}
}

// queueEvent queues one of z's events for a player's stream (writeEvents
// sends it), keeping the party it tells (nearest.go) and, with a Party,
// the player's place in it (place.go), and the names it tells (names.go);
// g.mu is held.
func (g *Node) queueEvent(z *zoneView, p *player, b []byte, place partyPlace) {
	var sm wire.ServerMessage
	if codec.DecodeServerMessage(b, &sm) != nil {
		g.log.Warn("gateway: an event from the zone does not decode", "zone", z.id)
		return
	}
	switch sm.BodyType() {
	case wire.ServerBodyParty:
		var party wire.Party
		codec.Member(sm.Body, &party)
		p.party = codec.PartyIDs(&party, p.party[:0])
		slices.Sort(p.party)
		p.place = place
	case wire.ServerBodyNames:
		var names wire.Names
		codec.Member(sm.Body, &names)
		z.keepNames(&names, g.clock.Now())
	}
	select {
	case p.events <- append([]byte(nil), b...):
		g.metrics.events.Inc()
	default:
		g.metrics.eventsDropped.Inc()
		// Not reading its stream: the close carries the reason (a
		// Disconnect message would wait behind the rest).
		if p.stalled.CompareAndSwap(false, true) {
			g.metrics.disconnects.WithLabelValues("EventsNotRead").Inc()
			go p.s.Close(wire.DisconnectReasonProtocolError, "events are not being read")
		}
	}
}
