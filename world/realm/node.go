package realm

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/prometheus/client_golang/prometheus"
)

// RealmNode is a running realm node.
type Node struct {
	// refusedFull counts new players refused because every gateway was
	// full.
	refusedFull prometheus.Counter
	// yielded counts sessions refused (as full) so that an earlier player
	// in another login node's line gets the place (assign.go).
	yielded prometheus.Counter
	// nudges counts zones told that their parties changed in another
	// zone (parties.go).
	nudges prometheus.Counter

	cfg   Config
	node  *node.Node
	db    *dbclient.Client
	log   *slog.Logger
	clock ecs.Clock

	mu         sync.Mutex            // guards what Directory reads; the main loop writes
	sessions   map[[32]byte]*session // login nodes' handles, waiting to connect
	resumes    map[[32]byte]*session // players' resume tokens (not bounded by MaxSessions)
	revoked    map[uint64]time.Time  // characters kicked, and when: their tokens issued before are void
	players    map[uint64]Placement
	gone       map[uint64]time.Time  // characters that left, and from when they count as gone (parties.go)
	rosters    map[string]zoneRoster // each zone's last report of its partied players (parties.go)
	nudged     map[string]time.Time  // when each zone was last told its parties changed elsewhere (parties.go)
	started    time.Time
	inherited  bool                    // it holds players it did not place: it restarted (parties.go)
	pool       map[string]*poolNode    // the instance pool, by node id (pool.go)
	loads      map[string]*gatewayLoad // gateways' loads, by node id (assign.go)
	heads      map[string]lineHead     // the heads of full lines, by login node (assign.go)
	allocating []string                // templates whose node the Allocator is finding (pool.go)
	seed       uint64                  // of the instances it has opened
}

// Placement is where a player is.
type Placement struct {
	Account   string
	Character uint64
	Gateway   string
	Zone      string
	resume    [32]byte  // the player's resume token
	orphaned  bool      // its gateway's link went down since it was placed
	since     time.Time // its login, when this node placed it at one (zero: resumed, or reported by a gateway)
}

// Start starts the realm node.
func Start(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Node{cfg: cfg, clock: cfg.Clock, sessions: map[[32]byte]*session{}, resumes: map[[32]byte]*session{}, revoked: map[uint64]time.Time{}, players: map[uint64]Placement{},
		pool: map[string]*poolNode{}, loads: map[string]*gatewayLoad{}, heads: map[string]lineHead{}, gone: map[uint64]time.Time{}, rosters: map[string]zoneRoster{}, nudged: map[string]time.Time{}, started: cfg.Clock.Now()}
	for id, addr := range cfg.Pool {
		r.pool[id] = &poolNode{id: id, addr: addr}
	}
	r.log = cfg.Node.Logger
	if r.log == nil {
		r.log = slog.Default()
	}
	cfg.Node.Handler = r
	n, err := node.New(cfg.Node)
	if err != nil {
		return nil, err
	}
	r.node = n
	r.db = dbclient.New(n, cfg.DB, cfg.DBTimeout)
	r.refusedFull = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "realm", Name: "logins_refused_full_total",
		Help: "New players refused (Busy, with a retry hint) because every gateway was full."})
	r.yielded = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "realm", Name: "logins_yielded_total",
		Help: "New players refused as full so that an earlier player in another login node's line gets the place (also in logins_refused_full_total)."})
	r.nudges = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "realm", Name: "party_nudges_total",
		Help: "Zones told that parties they hold members of changed in another zone (ZonePartiesChanged)."})
	n.Metrics().MustRegister(r.refusedFull, r.yielded, r.nudges)
	n.Metrics().MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "realm", Name: "players",
		Help: "Players in the realm's directory."}, func() float64 {
		r.mu.Lock()
		defer r.mu.Unlock()
		return float64(len(r.players))
	}))
	for _, st := range []poolState{poolFree, poolBusy} {
		name := map[poolState]string{poolFree: "instances_free", poolBusy: "instances_busy"}[st]
		n.Metrics().MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "realm", Name: name,
			Help: "Instance nodes of the realm's pool that are " + strings.TrimPrefix(name, "instances_") + "."}, func() float64 {
			r.mu.Lock()
			defer r.mu.Unlock()
			k := 0
			for _, pn := range r.pool {
				if pn.state == st {
					k++
				}
			}
			return float64(k)
		}))
	}
	return r, n.Start()
}

// Node returns the realm node's node.
func (r *Node) Node() *node.Node { return r.node }

// Stop stops the realm node.
func (r *Node) Stop() { r.node.Stop() }

// Directory returns where every player is.
func (r *Node) Directory() []Placement {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Placement, 0, len(r.players))
	for _, p := range r.players {
		out = append(out, p)
	}
	return out
}

// HandlePeer takes a gateway's players out of the directory when the
// gateway is gone: at once when a new incarnation of it links up, or when
// its link stays down for GatewayGrace (the zones let them go on their
// own). Players who reconnected through another gateway meanwhile stay.
func (r *Node) HandlePeer(_ *node.Node, e node.PeerEvent) {
	if r.pool[e.Peer] != nil { // an instance node: says when it is idle
		if !e.Up {
			r.poolDown(e.Peer)
		}
		return
	}
	switch {
	case e.Up && e.Restarted:
		r.gatewayGone(e.Peer)
	case !e.Up:
		peer := e.Peer
		r.orphan(peer)
		r.node.After(r.cfg.GatewayGrace, func() {
			if !r.node.Connected(peer) {
				r.gatewayGone(peer)
			}
		})
	}
}

// orphan marks the placements of a gateway whose link went down.
func (r *Node) orphan(gateway string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for character, p := range r.players {
		if p.Gateway == gateway {
			p.orphaned = true
			r.players[character] = p
		}
	}
}

// gatewayGone forgets the players the gateway held when its link went
// down; one placed since (through its new incarnation) stays.
func (r *Node) gatewayGone(gateway string) {
	r.mu.Lock()
	n, now := 0, r.clock.Now()
	for character, p := range r.players {
		if p.Gateway == gateway && p.orphaned {
			delete(r.players, character)
			r.resumeFrom(p)
			r.departed(character, now.Add(r.cfg.ResumeTTL)) // unless it resumes: its zone keeps it away as long
			n++
		}
	}
	r.mu.Unlock()
	if n > 0 {
		r.log.Warn("realm: a gateway is gone, its players taken out of the directory", "gateway", gateway, "players", n)
	}
}

// HandleMessage runs on the node's main loop.
func (r *Node) HandleMessage(n *node.Node, m node.Message) {
	if m.Kind == kinds.Gateway {
		r.gatewayReport(m.From, m)
		return
	}
	if m.Kind != kinds.Realm {
		r.log.Warn("realm: unexpected message kind", "peer", m.From, "kind", m.Kind)
		return
	}
	var msg wire.RealmMessage
	if err := codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg); err != nil {
		r.log.Warn("realm: bad message", "peer", m.From, "err", err)
		return
	}
	switch msg.BodyType() {
	case wire.RealmBodySessionCreated:
		var w wire.SessionCreated
		codec.Member(msg.Body, &w)
		r.sessionCreated(m, codec.ReadSessionCreated(&w))
	case wire.RealmBodyRealmConnect:
		var w wire.RealmConnect
		codec.Member(msg.Body, &w)
		r.connect(m, w.HandleBytes())
	case wire.RealmBodyRealmGatewayPlayers:
		var w wire.RealmGatewayPlayers
		codec.Member(msg.Body, &w)
		r.gatewayPlayers(m.From, codec.ReadGatewayPlayers(&w))
	case wire.RealmBodyRealmPlayerLeft:
		var w wire.RealmPlayerLeft
		codec.Member(msg.Body, &w)
		r.left(m.From, w.Character(), w.Revoke())
	case wire.RealmBodyRealmPlayerMoved:
		var w wire.RealmPlayerMoved
		codec.Member(msg.Body, &w)
		r.moved(m.From, w.Character(), string(w.Zone()))
	case wire.RealmBodyRealmInstanceRequest:
		var w wire.RealmInstanceRequest
		codec.Member(msg.Body, &w)
		r.instanceRequest(m, string(w.Template()), int(w.Players()))
	case wire.RealmBodyRealmPoolIdle:
		var w wire.RealmPoolIdle
		codec.Member(msg.Body, &w)
		r.poolIdle(m.From, string(w.Released()))
	case wire.RealmBodyRealmPartyCheck:
		var w wire.RealmPartyCheck
		codec.Member(msg.Body, &w)
		r.partyCheck(m, codec.ReadPartyCheck(&w))
	case wire.RealmBodyRealmPopulationRequest:
		r.mu.Lock()
		players := uint32(len(r.players))
		r.mu.Unlock()
		r.node.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().Population(players)})
	default:
		r.log.Warn("realm: unexpected message", "peer", m.From, "body", msg.BodyType())
	}
}
