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
// should use: the least loaded, counting the players assigned to it since
// its last report, so that a burst of logins spreads out before the next
// report. The gateway still redirects a player when, by the time it
// connects, another is less loaded.

// loadStale is how old a gateway's report may be and still count: past
// it, the gateway is presumed gone.
const loadStale = 2 * time.Second

// gatewayLoad is what the realm node knows of one gateway's load.
type gatewayLoad struct {
	public   string
	full     bool      // it takes no new player
	players  int       // as it last reported
	assigned int       // sessions sent its way since
	at       time.Time // of the report
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
	r.loads[from] = &gatewayLoad{public: string(l.Public()), players: int(l.Players()), full: l.Full(), at: r.clock.Now()}
	r.mu.Unlock()
}

// FullRetry is the retry hint a player refused for a full realm gets.
const FullRetry = 15 * time.Second

// assign picks the gateway for a new session: the least loaded of those
// heard from lately that are not full, ties to the lowest id; "" when none
// has reported, and full when every one that has is full.
func (r *Node) assign() (gateway string, full bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	var best *gatewayLoad
	bestID := ""
	heard := false
	for id, l := range r.loads {
		if now.Sub(l.at) > loadStale || l.public == "" {
			continue
		}
		heard = true
		if l.full {
			continue
		}
		if best == nil || l.players+l.assigned < best.players+best.assigned ||
			l.players+l.assigned == best.players+best.assigned && id < bestID {
			best, bestID = l, id
		}
	}
	if best == nil {
		return "", heard
	}
	best.assigned++
	return best.public, false
}

// sessionCreated takes a login node's session and, when the login node
// asked, answers with the gateway assigned to the player.
func (r *Node) sessionCreated(m node.Message, sc codec.SessionCreated) {
	if m.Corr == 0 {
		r.addSession(sc)
		return
	}
	gw, full := r.assign()
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
