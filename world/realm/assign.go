package realm

import (
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Gateway assignment. Every gateway that serves the realm (its own, or
// shared by every realm) tells the realm node its load several times a
// second (GatewayLoad, the report its siblings get). When a login node
// hands over a session, the realm node answers with the gateway the player
// should use: the least loaded, counting the sessions sent its way that
// its reports do not show yet, so that a burst of logins spreads out
// before the next report. The gateway still redirects a player when, by
// the time it connects, another is less loaded.
//
// A gateway with a player cap reports the room it has left under it: the
// sessions sent its way count against that room until the player connects
// (the next report counts it) or pendingFor passes, so that a burst of
// logins, or a full realm's line letting players in, never sends a capped
// gateway more players than it has room for.

// loadStale is how old a gateway's report may be and still count: past
// it, the gateway is presumed gone. pendingFor is how long a session sent
// to a gateway counts against its room while its player has not
// connected (a client connects within a moment of its login's answer).
const (
	loadStale  = 2 * time.Second
	pendingFor = 10 * time.Second
)

// gatewayLoad is what the realm node knows of one gateway's load.
type gatewayLoad struct {
	public  string
	full    bool      // it takes no new player
	players int       // as it last reported
	room    int       // players it may still take, as it last reported; -1: no cap
	at      time.Time // of the report
	// pending are the sessions sent its way that its reports do not count
	// yet, by handle: when each was sent, or when its player connected
	// (the next report counts it).
	pending map[[32]byte]pendingSession
}

type pendingSession struct {
	at        time.Time
	connected bool
}

// gatewayReport takes a gateway's load report.
func (r *Node) gatewayReport(from string, m node.Message) {
	var msg wire.GatewayMessage
	if err := codec.DecodeGatewayMessage(m.Payload, len(m.Payload)+1, &msg); err != nil || msg.BodyType() != wire.GatewayBodyGatewayLoad {
		return
	}
	var l wire.GatewayLoad
	codec.Member(msg.Body, &l)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	g := r.loads[from]
	if g == nil {
		g = &gatewayLoad{pending: map[[32]byte]pendingSession{}}
		r.loads[from] = g
	}
	g.public, g.players, g.full, g.room, g.at = string(l.Public()), int(l.Players()), l.Full(), int(l.Room()), now
	for h, p := range g.pending {
		if p.connected || now.Sub(p.at) > pendingFor {
			delete(g.pending, h) // counted in this report, or never coming
		}
	}
}

// connected records that the player of a session the realm sent to a
// gateway has connected (r.mu held): the gateway's next report counts it.
func (r *Node) connected(handle [32]byte) {
	for _, g := range r.loads {
		if p, ok := g.pending[handle]; ok {
			p.connected = true
			g.pending[handle] = p
		}
	}
}

// FullRetry is the retry hint a player refused for a full realm gets.
const FullRetry = 15 * time.Second

// Lines at several login nodes. Each login node keeps its own line of a
// full realm and offers the realm the player at its head as places open,
// with when that player joined the line. The realm node remembers each
// login node's head, and a session offered while another login node's
// head came earlier (and was offered within headFresh: that login node
// still waits) is refused as full: the earlier player gets the place at
// its login node's next offer, a fraction of a second later. So the
// players of every line get in first come, first served, not by which
// login node asks first after a place opens.
type lineHead struct {
	since time.Time // when the player at the head joined the line (its login node's clock)
	at    time.Time // when its login node last offered it
}

// headFresh: a login node offers its line's head every 200 ms while the
// realm is full.
const headFresh = 600 * time.Millisecond

// yields records the head of login node from's line (a player waiting
// since waitingSince, Unix milliseconds; 0: not from a line, as if it
// came now) and reports whether an earlier head of another login node's
// line goes first (r.mu held).
func (r *Node) yields(from string, waitingSince int64, now time.Time) bool {
	since := now
	if waitingSince > 0 {
		since = time.UnixMilli(waitingSince)
		r.heads[from] = lineHead{since: since, at: now}
	}
	for id, h := range r.heads {
		if id != from && now.Sub(h.at) <= headFresh && h.since.Before(since) {
			return true
		}
	}
	return false
}

// assign picks the gateway for a new session from login node from: the
// least loaded of those heard from lately with room, ties to the lowest
// id; "" when none has reported, and full when every one that has is full
// or an earlier player waits in another login node's line.
func (r *Node) assign(handle [32]byte, from string, waitingSince int64) (gateway string, full bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	yield := r.yields(from, waitingSince, now)
	var best *gatewayLoad
	bestID := ""
	heard := false
	for id, l := range r.loads {
		if now.Sub(l.at) > loadStale || l.public == "" {
			continue
		}
		heard = true
		if l.full || l.room >= 0 && len(l.pending) >= l.room {
			continue
		}
		load, bestLoad := l.players+len(l.pending), 0
		if best != nil {
			bestLoad = best.players + len(best.pending)
		}
		if best == nil || load < bestLoad || load == bestLoad && id < bestID {
			best, bestID = l, id
		}
	}
	if best == nil {
		return "", heard
	}
	if yield {
		r.yielded.Inc() // there is room, for an earlier player
		return "", true
	}
	best.pending[handle] = pendingSession{at: now}
	if waitingSince > 0 {
		delete(r.heads, from) // it is in: the login node's next offer names its next
	}
	return best.public, false
}

// sessionCreated takes a login node's session and, when the login node
// asked, answers with the gateway assigned to the player.
func (r *Node) sessionCreated(m node.Message, sc codec.SessionCreated) {
	if m.Corr == 0 {
		r.addSession(sc)
		return
	}
	var gw string
	var full bool
	if len(sc.Handle) == codec.SessionHandleSize {
		gw, full = r.assign([32]byte(sc.Handle), m.From, sc.WaitingSinceUnixMs)
	} else {
		r.log.Warn("realm: a session with a malformed handle", "login", m.From, "bytes", len(sc.Handle))
	}
	retry := uint32(0)
	if full {
		// Every gateway is full: the session is not taken, and the player
		// is told when to try again.
		r.refusedFull.Inc()
		retry = uint32(FullRetry / time.Millisecond)
	} else {
		r.addSession(sc)
	}
	if err := r.node.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().SessionAssigned(gw, full, retry)}); err != nil {
		r.log.Warn("realm: assignment not sent", "login", m.From, "err", err)
	}
}
