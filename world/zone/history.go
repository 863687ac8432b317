package zone

import (
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
)

// Chat history. Every chat line and system message the zone sends a
// player is numbered — increasing, and never below the wall clock in
// microseconds, so numbers keep increasing across the zone's restarts —
// and kept for historyWindow (at most historyCap deliveries). A player
// whose gateway died misses what was routed to it meanwhile; its client
// comes back through another gateway with the highest number it saw, and
// the gateway asks (ZoneReplayEvents) for the rest: what the zone numbered
// after it, up to the moment the player was routed to the new gateway
// (what came after went there). A player let go because its gateway was
// gone is kept "away" for awayFor, still a recipient of the zone's and
// whispered lines and of says around where it stood, so that what it
// missed is kept too.
const (
	historyWindow = 10 * time.Minute
	historyCap    = 100_000
	awayFor       = 30 * time.Second // as long as a resume token lives after its connection
)

// delivery is one numbered message for one player.
type delivery struct {
	seq       uint64
	character uint64
	at        time.Time
	msg       []byte // shared by every recipient of the message
	party     bool   // a Party message: replayed with the player's place now (party.go)
}

// awayPlayer is a player let go because its gateway died, who may come
// back with its resume token.
type awayPlayer struct {
	name  string
	x, y  float32
	until time.Time
}

// nextSeq numbers the next history message.
func (zn *Node) nextSeq() uint64 {
	zn.seq = max(zn.seq+1, uint64(zn.clock.Now().UnixMicro()))
	return zn.seq
}

// deliver queues a numbered message for a player in the zone, and keeps it.
func (zn *Node) deliver(character, seq uint64, msg []byte) {
	zn.event(character, msg)
	zn.remember(character, seq, msg)
}

// remember keeps a numbered message for a player (in the zone or away).
func (zn *Node) remember(character, seq uint64, msg []byte) {
	zn.keep(delivery{seq: seq, character: character, msg: msg})
}

// keep keeps a delivery, from now.
func (zn *Node) keep(d delivery) {
	d.at = zn.clock.Now()
	zn.history = append(zn.history, d)
}

// pruneHistory forgets deliveries older than historyWindow or beyond
// historyCap, and players away for longer than awayFor. Run every tick.
func (zn *Node) pruneHistory() {
	now := zn.clock.Now()
	cut := 0
	for cut < len(zn.history) && (now.Sub(zn.history[cut].at) > historyWindow || len(zn.history)-cut > historyCap) {
		cut++
	}
	// Forget from the front without moving the rest every tick: the next
	// append that outgrows the array copies only what is kept.
	zn.history = zn.history[cut:]
	for character, a := range zn.away {
		if now.After(a.until) {
			delete(zn.away, character)
			zn.leaveParty(character) // away too long: out of its party, as if it had logged out
		}
	}
	zn.checkParties()
}

// goneAway keeps a player let go with its gateway as away.
func (zn *Node) goneAway(p *player) {
	pos := zn.pos.Get(p.entity)
	zn.away[p.character] = awayPlayer{name: p.name, x: pos.X, y: pos.Y, until: zn.clock.Now().Add(awayFor)}
}

// replayMax bounds the events one replay gives back, the newest kept:
// half of what may wait for a player's stream at its gateway, which holds
// the zone's newer events for the player meanwhile.
const replayMax = 128

// replayed returns what a player missed, for its gateway to send first:
// the deliveries numbered after since, up to when it was routed to that
// gateway (the zone sent it the later ones), oldest first, at most
// replayMax.
func (zn *Node) replayed(p *player, since uint64) []codec.PlayerEvent {
	var out []codec.PlayerEvent
	for _, d := range zn.history {
		if d.character == p.character && d.seq > since && d.seq <= p.routedAt {
			ev := codec.PlayerEvent{Character: p.character, Message: d.msg}
			if d.party {
				// The gateway keeps the place a Party carries: the place now
				// (the newest Party replayed is the party now).
				r := zn.parties[p.character]
				ev.PartyLeader, ev.PartyJoined = r.leader, r.joined
			}
			out = append(out, ev)
		}
	}
	if len(out) > replayMax {
		zn.log.Warn("zone: a player missed more than a replay gives back, the oldest left out", "character", p.character,
			"missed", len(out), "replayed", replayMax)
		out = out[len(out)-replayMax:]
	}
	if len(out) > 0 {
		zn.metrics.replayed.Add(float64(len(out)))
		zn.log.Info("zone: a player got the chat it missed", "character", p.character, "messages", len(out))
	}
	return out
}
