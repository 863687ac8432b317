package gateway

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Gateway is a running gateway node: it holds players' connections,
// mirrors the cells they watch and sends each player its snapshots.
//
// Gateways share the realm's players: each tells its siblings its load
// every LoadEvery, and a gateway that is not the least loaded redirects a
// connecting player to the one that is.
//
// Each player's messages are budgeted per kind and second: over budget they
// are dropped and counted, far over the player is disconnected. A tick's
// snapshots are sent in groups spread over the tick, never in one burst.
// Chat goes to the zone, which routes it; the zone's events for a player
// (chat, damage, loot, system messages) come with its ticks and go out on
// the player's stream.
type Node struct {
	late        lateness      // its snapshots' lateness (load.go)
	behind      lateness      // how far behind its snapshots its players acknowledge (load.go)
	replaced    atomic.Uint64 // snapshots that replaced one still waiting to go (pacer.go)
	blindLogged time.Time     // the last blind player logged (under mu)
	cpu         *cpuWatch     // the machine's and its own CPU (cpu.go), sampled by report
	cpuAt       time.Time     // report's last sample
	fullNow     atomic.Bool   // as it last reported
	fullBy      string        // the measured rules that made it full, as last logged (report's)
	shed        shedding      // its snapshot rate, lowered under pressure (shed.go)

	cfg   Config
	node  *node.Node
	ln    *pquic.Listener
	log   *slog.Logger
	clock ecs.Clock

	reportTo []string // who hears its load: siblings and realm nodes
	realmIDs []string // the realm nodes it serves
	zenc     *codec.ZoneEncoder

	metrics    *metrics
	mu         sync.Mutex            // players, zones, loads; the main loop and connections share them
	players    map[playerKey]*player // by realm node and character: two realms' characters may share an id
	zones      map[string]*zoneView
	loads      map[string]*siblingLoad
	connecting int      // players between accept and placement, counted as load
	scratch    *Scratch // where every player's snapshot is built, one at a time (under mu)
	maps       ruleBook // the move rules of the maps its zones told of

	ctx      context.Context
	cancel   context.CancelFunc
	stopping atomic.Bool
	// closing is the reason Stop gives players, when an operator's
	// procedure set one (a scheduled restart); 0: Shutdown.
	closing     wire.DisconnectReason
	closingText string
	wg          sync.WaitGroup
}

// Start starts the gateway.
func Start(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Node{cfg: cfg, cpu: newCPUWatch(readProcCPU), clock: cfg.Clock, zenc: codec.NewZoneEncoder(), players: map[playerKey]*player{}, zones: map[string]*zoneView{},
		loads: map[string]*siblingLoad{}, scratch: NewScratch()}
	g.shed.every.Store(int32(cfg.SnapshotEvery))
	g.log = cfg.Node.Logger
	if g.log == nil {
		g.log = slog.Default()
	}
	cfg.Node.Handler = g
	if g.node, err = node.New(cfg.Node); err != nil {
		return nil, err
	}
	g.metrics = g.newMetrics()
	g.registerActions()
	if err := g.node.Start(); err != nil {
		return nil, err
	}
	if g.ln, err = pquic.Listen(cfg.Listen, cfg.TLS); err != nil {
		g.node.Stop()
		return nil, err
	}
	if g.cfg.Public == "" {
		g.cfg.Public = g.ln.Addr().String()
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.wg.Add(2)
	go g.accept()
	for _, id := range append([]string{g.cfg.Realm}, slices.Sorted(maps.Values(g.cfg.Realms))...) {
		if id != "" && !slices.Contains(g.realmIDs, id) {
			g.realmIDs = append(g.realmIDs, id)
		}
	}
	g.reportTo = append(slices.Clone(g.cfg.Siblings), g.realmIDs...)
	go g.report()
	return g, nil
}

// Addr returns the players' address.
func (g *Node) Addr() string { return g.ln.Addr().String() }

// Node returns the gateway's node.
func (g *Node) Node() *node.Node { return g.node }

// Corrections counts the move corrections sent to the connected players.
func (g *Node) Corrections() (n int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.players {
		n += p.Corrections.Load()
	}
	return n
}

// OverBudget counts the snapshots of connected players that came out
// larger than their budget: a bug, so it must stay 0.
func (g *Node) OverBudget() (n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.players {
		n += p.view.OverBudget
	}
	return n
}

// Pacing reports how long the last tick's sends were spread over, and
// how often the main loop had to wait for the pacer.
func (g *Node) Pacing() (last time.Duration, waited int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, z := range g.zones {
		z.pacer.mu.Lock()
		last, waited = max(last, z.pacer.lastLen), waited+z.pacer.waited
		z.pacer.mu.Unlock()
	}
	return last, waited
}

// Players counts the connected players.
func (g *Node) Players() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.players)
}

// Stop disconnects every player with the reason Shutdown (or the one an
// operator's procedure set: RealmRestart) and stops. Safe to call more
// than once.
func (g *Node) Stop() {
	g.mu.Lock()
	reason, text := g.closing, g.closingText
	g.mu.Unlock()
	if reason == 0 {
		reason, text = wire.DisconnectReasonShutdown, "the gateway is stopping"
	}
	g.StopWith(reason, text)
}

// StopWith disconnects every player with reason and text, then stops. The
// players are closed before anything else ends, so that each one's close
// carries the reason (a connection whose goroutines ended first would be
// closed bare).
func (g *Node) StopWith(reason wire.DisconnectReason, text string) {
	if !g.stopping.CompareAndSwap(false, true) {
		return
	}
	g.ln.Close()
	g.mu.Lock()
	for _, p := range g.players {
		g.metrics.disconnects.WithLabelValues(reason.String()).Inc()
		p.s.Close(reason, text)
	}
	g.mu.Unlock()
	g.cancel()
	g.wg.Wait()
	g.node.Stop()
	g.mu.Lock()
	for _, z := range g.zones {
		z.pacer.close()
	}
	g.mu.Unlock()
}
