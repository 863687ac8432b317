package zone

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/content"
	"github.com/gridrealm/gridrealm/world/script"
)

// ZoneNode is a running zone node.
type Node struct {
	cfg   Config
	node  *node.Node
	zone  *world.Zone
	db    *dbclient.Client
	log   *slog.Logger
	clock ecs.Clock

	lastTick atomic.Int64 // unix ns of the last finished tick: LastTick
	view     liveView     // an operator's live view (view.go)
	enc      *codec.ZoneEncoder

	gateways map[string]world.GatewayID
	names    []string // by GatewayID
	players  map[uint64]*player
	byEntity map[arche.Entity]uint64

	input  generic.Map[systems.Player]
	pos    generic.Map[systems.Position]
	health generic.Map[systems.Health]
	app    generic.Map[systems.Appearance]
	rep    generic.Map[systems.Replica]

	lastCheckpoint time.Time
	cells          [world.MaxGateways][][]byte         // per gateway, this tick
	moved          [world.MaxGateways][]codec.PlayerAt // per gateway, its players that changed cells
	unsent         [world.MaxGateways]bool             // the last tick to this gateway was not sent
	inputs         []codec.ZoneInput
	pending        map[uint64]*pendingEnter               // characters being loaded and claimed
	events         []codec.PlayerEvent                    // players' events, for the next ZoneTicks
	gwEvents       [world.MaxGateways][]codec.PlayerEvent // the same, per gateway, at send
	penc           *codec.PlayerEncoder
	metrics        *metrics
	seq            uint64                            // the last history number (history.go)
	parties        map[uint64]partyRole              // each partied character's place: its leader, when it joined (party.go)
	partyJoins     uint64                            // the last join's stamp (joinStamp)
	loaded         string                            // an instance node's template while it holds an instance (pool.go)
	loadedFor      string                            // the realm node that had it loaded
	partyCheckAt   time.Time                         // when to ask the realm about parties led from elsewhere next (party.go)
	partyChecking  bool                              // a party check is waiting for its answer
	partyReported  bool                              // the last party check reported partied players
	elsewhere      map[uint64][]codec.PartyElsewhere // each party's members in other zones, by leader, as the realm said (partyrealm.go)
	exit           exitPoint                         // where the current (or last) copy's exit leads (pool.go)
	emptySince     time.Time                         // when its instance last had no one
	loading        *loadRequest                      // the instance to load between two runs of the loop
	endRun         context.CancelFunc                // ends the current run of the loop
	history        []delivery                        // numbered messages, oldest first
	away           map[uint64]awayPlayer             // players let go with their gateway, by character

	asked     []uint32          // the ids of the WhoIs being answered, scratch (names.go)
	named     []codec.Named     // its answer, scratch
	trades    map[uint64]*trade // offers waiting for their answer, or in the db (trade.go)
	nextTrade uint64

	content atomic.Pointer[content.Set]   // what the zone runs, and instances it loads will
	title   atomic.Pointer[string]        // what the zone is called (renamed; set before the node starts)
	scripts atomic.Pointer[script.Engine] // the scripts of the current world

	cancel context.CancelFunc
	done   chan struct{}
}

type player struct {
	character uint64
	entity    arche.Entity
	epoch     uint64
	gateway   string // who forwards its inputs
	name      string
	cell      int32 // the cell its gateway was last told (spatial.NoCell: none yet)
	// orphaned: its gateway's link went down since it was last entered;
	// if the gateway is gone, so is the player.
	orphaned bool
	// routedAt is the history number when it was last routed to a gateway:
	// what it missed before is replayed up to there.
	routedAt uint64
	// handoff is its handoff to a neighbour under way (handoff.go); none
	// is tried before noHandoffUntil.
	handoff        *handoff
	noHandoffUntil time.Time
	inPortal       bool // it stood in a portal at the last look
	// items are the character's items, as the db last acknowledged them;
	// using those whose use waits for its handler (trade.go).
	items map[uint64]codec.DbItem
	using map[uint64]bool
	// retell: it entered the zone (a login, a handoff, a reconnect
	// through another gateway), and is told its inventory and party
	// again at its first input (sent earlier, the gateway might not hold
	// the player there yet).
	retell bool
	// savedParty is its place in its party as last saved (or loaded): a
	// change is saved at once (deliverParty), so that a zone that restarts
	// without the gateway that knew the place finds it in the db.
	savedParty partyRole
}

// Start builds the zone and its node and starts ticking.
func Start(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	set, err := cfg.contentSet()
	if err != nil {
		return nil, err
	}
	z, err := buildZone(&cfg, set)
	if err != nil {
		return nil, err
	}
	n, err := node.New(cfg.Node) // no Handler: the tick polls the inbox
	if err != nil {
		return nil, err
	}
	log := cfg.Node.Logger
	if log == nil {
		log = slog.Default()
	}
	zn := &Node{cfg: cfg, node: n, clock: cfg.Clock, db: dbclient.New(n, cfg.DB, cfg.DBTimeout), log: log,
		enc: codec.NewZoneEncoder(), penc: codec.NewPlayerEncoder(), done: make(chan struct{}),
		players: map[uint64]*player{}, pending: map[uint64]*pendingEnter{}, away: map[uint64]awayPlayer{},
		parties: map[uint64]partyRole{}, elsewhere: map[uint64][]codec.PartyElsewhere{}, trades: map[uint64]*trade{}, lastCheckpoint: cfg.Clock.Now()}
	zn.content.Store(set)
	zn.renamed()
	if err := zn.attach(z); err != nil {
		return nil, err
	}
	zn.metrics = zn.newMetrics()
	n.HandleRead("/zone/view", zn.serveView)
	n.HandleRead("/zone/terrain", zn.serveTerrain)
	if err := n.Start(); err != nil {
		return nil, err
	}
	zn.run()
	return zn, nil
}

// attach makes z the zone's world: the component maps, the node's systems
// in its schedule, and no gateway known yet (each subscribes again when a
// player of it enters).
func (zn *Node) attach(z *world.Zone) error {
	zn.zone = z
	zn.gateways, zn.names, zn.byEntity = map[string]world.GatewayID{}, nil, map[arche.Entity]uint64{}
	zn.cells, zn.moved, zn.unsent, zn.gwEvents = [world.MaxGateways][][]byte{}, [world.MaxGateways][]codec.PlayerAt{}, [world.MaxGateways]bool{}, [world.MaxGateways][]codec.PlayerEvent{}
	zn.input, zn.pos = generic.NewMap[systems.Player](&z.World.ECS), generic.NewMap[systems.Position](&z.World.ECS)
	zn.health, zn.app = generic.NewMap[systems.Health](&z.World.ECS), generic.NewMap[systems.Appearance](&z.World.ECS)
	zn.rep = generic.NewMap[systems.Replica](&z.World.ECS)
	// The inbox runs first, so that inputs drained this tick move players
	// this tick (after the input system, they would wait a whole tick).
	z.Schedule.Prepend(ecs.PhaseInput, "inbox", ecs.SystemFunc(zn.drainInbox))
	if err := zn.attachScripts(z); err != nil { // after combat and regeneration
		return err
	}
	z.Schedule.Add(ecs.PhaseSimulation, "events", ecs.SystemFunc(zn.combatEvents)) // after combat, before the dead go
	z.Schedule.Add(ecs.PhasePersistence, "borders", ecs.SystemFunc(zn.borders))
	z.Schedule.Add(ecs.PhasePersistence, "checkpoint", ecs.SystemFunc(zn.checkpoint))
	z.Schedule.Add(ecs.PhasePersistence, "history", ecs.SystemFunc(func(*ecs.World) { zn.pruneHistory() }))
	z.Schedule.Add(ecs.PhasePersistence, "pool", ecs.SystemFunc(zn.poolTick))
	z.Schedule.Add(ecs.PhasePersistence, "trades", ecs.SystemFunc(zn.expireTrades))
	z.Schedule.Add(ecs.PhasePublish, "send", ecs.SystemFunc(zn.send))
	z.Schedule.Add(ecs.PhasePublish, "view", ecs.SystemFunc(zn.sampleView))
	zn.view.filter = nil // a new world: a new query
	zn.view.terrain.Store(z.Terrain)
	return nil
}

// buildZone makes the zone an instance template or the open zone asks for,
// with its NPCs.
func buildZone(cfg *Config, set *content.Set) (*world.Zone, error) {
	if cfg.Zone.Rules == (systems.Rules{}) {
		cfg.Zone.Rules = set.Rules
	}
	cfg.Zone.Bestiary = set.Bestiary
	if cfg.Instance != nil {
		z, err := world.NewInstance(*cfg.Instance, "1", cfg.Zone.Seed, cfg.Clock)
		if err != nil {
			return nil, err
		}
		// Characters are claimed by the node's name, which the realm routes
		// by; the copy's own name ("template/1") is for logs.
		name := cfg.Zone.Name
		cfg.Zone = z.Config()
		cfg.Zone.Name = name
		cfg.NPCs = 0
		return z, nil
	}
	z, err := world.NewZone(cfg.Zone, cfg.Clock)
	if err != nil {
		return nil, err
	}
	if cfg.Pool != nil {
		return z, nil // an instance node of the pool holds nothing until the realm has it load a copy
	}
	if set.Zones[cfg.ContentZone] != nil {
		var skipped *content.SkippedError
		if err := set.Populate(z, cfg.ContentZone, cfg.NPCs); errors.As(err, &skipped) {
			for _, e := range skipped.Skipped {
				slog.Warn("zone: content left out", "zone", cfg.Zone.Name, "err", e)
			}
		} else if err != nil {
			return nil, err
		}
		return z, nil
	}
	w, h := z.Terrain.Size()
	for i := 0; i < cfg.NPCs; i++ {
		if x, y, ok := z.RandomWalkable(w/2, h/2, min(w, h)/2-1); ok {
			z.SpawnNPC(x, y, uint16(1+i%16), uint8(1+i%60))
		}
	}
	return z, nil
}

// run starts the tick loop on its own goroutine. An instance node of the
// pool loads a new instance between two runs of the loop (pool.go).
func (zn *Node) run() {
	stop, cancel := context.WithCancel(context.Background())
	zn.cancel = cancel
	go func() {
		defer close(zn.done)
		for {
			ctx, next := context.WithCancel(stop)
			zn.endRun = next
			zn.zone.Run(ctx, func(s ecs.TickStats) {
				entities := -1 // counted once a second: arche's Stats allocates
				if s.Tick%20 == 0 {
					entities = zn.zone.World.ECS.Stats().Entities.Used
				}
				zn.metrics.tick(s, len(zn.players), entities)
				zn.lastTick.Store(zn.clock.Now().UnixNano())
			})
			next()
			if stop.Err() != nil || zn.loading == nil {
				return
			}
			zn.loadInstance()
		}
	}()
}

// LastTick returns when the tick loop last finished a tick (zero before
// the first): an orchestrator's health check asks whether it still ticks.
func (zn *Node) LastTick() time.Time {
	ns := zn.lastTick.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Node returns the zone's node.
func (zn *Node) Node() *node.Node { return zn.node }

// Zone returns the zone. Touch it only from the tick (systems), or after
// Stop.
func (zn *Node) Zone() *world.Zone { return zn.zone }

// Stop stops ticking, saves every player (waiting up to DBTimeout for the
// db) and stops the node.
func (zn *Node) Stop() {
	zn.cancel()
	<-zn.done
	if n := zn.saveAll(zn.cfg.DBTimeout); n > 0 {
		zn.log.Warn("zone: stopped with checkpoints unacknowledged", "players", n)
	}
	zn.node.Stop()
}

// drainInbox is the tick's first system: every message waiting is handled
// here, on the tick's goroutine.
func (zn *Node) drainInbox(*ecs.World) {
	zn.node.Poll(zn, 1<<16)
	zn.applyInputs()
}
