// Package zonenode runs a zone as a node of the realm. The zone's tick
// loop is the node's main loop: at the start of every tick (the input
// phase) it drains the node's inbox (gateway subscriptions, players
// entering and leaving, forwarded inputs, db answers), so that all game
// logic stays on one goroutine; after the publish phase it sends each
// gateway one ZoneTick with the cells it watches (each encoded once for
// all gateways).
//
// A character enters on ZoneEnterPlayer: the zone claims it in the db (a
// new epoch, which fences off any zone that held it before) and loads it
// (the only read), then keeps it in RAM. Every Checkpoint it saves the
// position and stats with that epoch; a checkpoint refused for a stale
// epoch means another zone claimed the character, and this zone lets go.
package zone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world"
)

// Config configures a zone node; the zero value of a field means its
// default.
type Config struct {
	// Node is the zone's link identity; its Peers must include DB.
	Node node.Config
	// Zone is the zone itself (Name defaults to Node.ID).
	Zone world.ZoneConfig
	// DB is the db node's id.
	DB string
	// NPCs are spread over the map at start (an open zone's).
	NPCs int
	// Instance, when set, makes the node run a copy of this instance
	// template instead of an open zone: its map, NPCs and player cap,
	// players appearing at its entry. Zone.Seed seeds the copy.
	Instance *world.InstanceTemplate
	// Checkpoint is how often players' positions and stats are saved
	// (default 10 s).
	Checkpoint time.Duration
	// Clock drives the tick (the real clock when nil).
	Clock ecs.Clock
}

// ZoneNode is a running zone node.
type Node struct {
	cfg  Config
	node *node.Node
	zone *world.Zone
	db   *dbclient.Client
	log  *slog.Logger
	enc  *codec.ZoneEncoder

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
	entering       int                                    // characters being loaded and claimed
	events         []codec.PlayerEvent                    // players' events, for the next ZoneTicks
	gwEvents       [world.MaxGateways][]codec.PlayerEvent // the same, per gateway, at send
	penc           *codec.PlayerEncoder
	metrics        *metrics
	rng            *rand.Rand // loot rolls

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
}

// Start builds the zone and its node and starts ticking.
func Start(cfg Config) (*Node, error) {
	if cfg.DB == "" {
		return nil, errors.New("zone node: DB is required")
	}
	if cfg.Checkpoint == 0 {
		cfg.Checkpoint = 10 * time.Second
	}
	if cfg.Zone.Name == "" {
		cfg.Zone.Name = cfg.Node.ID
	}
	if cfg.Node.Role == "" {
		cfg.Node.Role = "zone"
	}
	log := cfg.Node.Logger
	if log == nil {
		log = slog.Default()
	}
	var z *world.Zone
	var err error
	if cfg.Instance != nil {
		z, err = world.NewInstance(*cfg.Instance, "1", cfg.Zone.Seed, cfg.Clock)
		if err == nil {
			// Characters are claimed by the node's name, which the realm
			// routes by; the copy's own name ("template/1") is for logs.
			name := cfg.Zone.Name
			cfg.Zone = z.Config()
			cfg.Zone.Name = name
		}
		cfg.NPCs = 0
	} else {
		z, err = world.NewZone(cfg.Zone, cfg.Clock)
	}
	if err != nil {
		return nil, err
	}
	w, h := z.Terrain.Size()
	for i := 0; i < cfg.NPCs; i++ {
		if x, y, ok := z.RandomWalkable(w/2, h/2, min(w, h)/2-1); ok {
			z.SpawnNPC(x, y, uint16(1+i%16), uint8(1+i%60))
		}
	}
	n, err := node.New(cfg.Node) // no Handler: the tick polls the inbox
	if err != nil {
		return nil, err
	}
	zn := &Node{cfg: cfg, node: n, zone: z, db: dbclient.New(n, cfg.DB, 5*time.Second), log: log, enc: codec.NewZoneEncoder(),
		gateways: map[string]world.GatewayID{}, players: map[uint64]*player{}, byEntity: map[arche.Entity]uint64{},
		input: generic.NewMap[systems.Player](&z.World.ECS), pos: generic.NewMap[systems.Position](&z.World.ECS),
		health: generic.NewMap[systems.Health](&z.World.ECS), app: generic.NewMap[systems.Appearance](&z.World.ECS),
		rep: generic.NewMap[systems.Replica](&z.World.ECS), lastCheckpoint: time.Now(), done: make(chan struct{}),
		penc: codec.NewPlayerEncoder(), rng: rand.New(rand.NewPCG(cfg.Zone.Seed, 0x6c6f6f74))}
	// The inbox runs first, so that inputs drained this tick move players
	// this tick (after the input system, they would wait a whole tick).
	z.Schedule.Prepend(ecs.PhaseInput, "inbox", ecs.SystemFunc(zn.drainInbox))
	z.Schedule.Add(ecs.PhaseSimulation, "events", ecs.SystemFunc(zn.combatEvents)) // after combat, before the dead go
	z.Schedule.Add(ecs.PhasePersistence, "checkpoint", ecs.SystemFunc(zn.checkpoint))
	z.Schedule.Add(ecs.PhasePublish, "send", ecs.SystemFunc(zn.send))
	zn.metrics = zn.newMetrics()
	if err := n.Start(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	zn.cancel = cancel
	go func() {
		defer close(zn.done)
		z.Run(ctx, func(s ecs.TickStats) {
			entities := -1 // counted once a second: arche's Stats allocates
			if s.Tick%20 == 0 {
				entities = zn.zone.World.ECS.Stats().Entities.Used
			}
			zn.metrics.tick(s, len(zn.players), entities)
		})
	}()
	return zn, nil
}

// Node returns the zone's node.
func (zn *Node) Node() *node.Node { return zn.node }

// Zone returns the zone. Touch it only from the tick (systems), or after
// Stop.
func (zn *Node) Zone() *world.Zone { return zn.zone }

// Stop stops ticking and the node.
func (zn *Node) Stop() {
	zn.cancel()
	<-zn.done
	zn.node.Stop()
}

// drainInbox is the tick's first system: every message waiting is handled
// here, on the tick's goroutine.
func (zn *Node) drainInbox(*ecs.World) {
	zn.node.Poll(zn, 1<<16)
	zn.applyInputs()
}

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
		zn.enter(m, e.Character(), gateway)
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
			}
		}
	case wire.ZoneBodyZoneChat:
		var c wire.ZoneChat
		codec.Member(msg.Body, &c)
		if p := zn.players[c.Character()]; p != nil && p.gateway == m.From {
			zn.chat(p, c.Channel(), string(c.To()), string(c.Text()))
		}
	default:
		zn.log.Warn("zone: unexpected message", "peer", m.From, "body", msg.BodyType())
	}
}

// HandlePeer forgets a gateway's subscriptions when its link goes down for
// good; a gateway that comes back subscribes again.
func (zn *Node) HandlePeer(_ *node.Node, e node.PeerEvent) {
	if g, ok := zn.gateways[e.Peer]; ok && e.Up && e.Restarted {
		zn.zone.Publisher.DropGateway(g)
	}
}

func (zn *Node) gatewayID(peer string) (world.GatewayID, bool) {
	if g, ok := zn.gateways[peer]; ok {
		return g, true
	}
	if len(zn.names) >= world.MaxGateways {
		zn.log.Error("zone: too many gateways", "peer", peer, "max", world.MaxGateways)
		return 0, false
	}
	g := world.GatewayID(len(zn.names))
	zn.gateways[peer] = g
	zn.names = append(zn.names, peer)
	return g, true
}

func (zn *Node) subscribe(peer string, n int, at func(int) uint32, on bool) {
	g, ok := zn.gatewayID(peer)
	if !ok {
		return
	}
	nx, ny := zn.zone.Cells.Dims()
	for i := 0; i < n; i++ {
		idx := at(i)
		cx, cy := int(idx&0xffff), int(idx>>16)
		if cx >= nx || cy >= ny {
			continue // outside the map: ignored
		}
		cell := int32(cy*nx + cx)
		if on {
			zn.zone.Publisher.Subscribe(g, cell)
		} else {
			zn.zone.Publisher.Unsubscribe(g, cell)
		}
	}
}

// enter claims and loads a character, then answers the asker; gateway
// forwards its inputs.
func (zn *Node) enter(m node.Message, character uint64, gateway string) {
	if p := zn.players[character]; p != nil {
		p.gateway = gateway     // a reconnect through another gateway
		p.cell = spatial.NoCell // which is told where the player is
		zn.replyEntered(m, p)
		return
	}
	// A full instance takes no one: checked before the claim, so that a
	// refused character stays with the zone it came from.
	if limit := zn.zone.Config().PlayerCap; limit > 0 && zn.zone.Players()+zn.entering >= limit {
		zn.log.Warn("zone: full, a character is not brought in", "character", character, "cap", limit)
		return
	}
	zn.entering++
	// Load first: where the character last stood decides where it appears
	// (the claim rewrites its zone). The claim then fences off any zone
	// that held it.
	zn.db.Do(codec.DbRequest{Op: wire.DbOpDbLoadCharacter, ID: character}, func(load codec.DbReply, err error) {
		if err != nil || load.Character == nil {
			zn.entering--
			zn.log.Warn("zone: cannot load character", "character", character, "err", err)
			return
		}
		zn.db.Do(codec.DbRequest{Op: wire.DbOpDbClaimCharacter, ID: character, Zone: zn.cfg.Zone.Name}, func(claim codec.DbReply, err error) {
			zn.entering--
			if err != nil {
				zn.log.Warn("zone: cannot claim character", "character", character, "err", err)
				return
			}
			zn.spawn(m, load.Character, claim.Epoch, gateway)
		})
	})
}

// spawn puts a loaded character in the world, at its checkpoint if that is
// walkable ground of this zone, else near an instance's entry or the
// centre of an open zone.
func (zn *Node) spawn(m node.Message, c *codec.DbCharacter, epoch uint64, gateway string) {
	x, y := c.X, c.Y
	if c.Zone != zn.cfg.Zone.Name || !zn.zone.Terrain.Walkable(x, y) {
		w, h := zn.zone.Terrain.Size()
		cx, cy, r := w/2, h/2, min(w, h)/4
		if t := zn.cfg.Instance; t != nil {
			cx, cy, r = t.EntryX, t.EntryY, 8
		}
		var ok bool
		if x, y, ok = zn.zone.RandomWalkable(cx, cy, r); !ok {
			zn.log.Error("zone: no walkable ground for a player")
			return
		}
	}
	e, err := zn.zone.SpawnPlayer(x, y, 0)
	if err != nil {
		zn.log.Warn("zone: cannot spawn player", "character", c.ID, "err", err)
		return
	}
	if c.Health > 0 {
		zn.health.Get(e).Cur = min(c.Health, zn.health.Get(e).Max)
	}
	p := &player{character: c.ID, entity: e, epoch: epoch, gateway: gateway, cell: spatial.NoCell, name: c.Name}
	zn.players[c.ID] = p
	zn.byEntity[e] = c.ID
	zn.replyEntered(m, p)
}

func (zn *Node) replyEntered(m node.Message, p *player) {
	pos := zn.pos.Get(p.entity)
	zc := zn.zone.Config()
	w, h := zn.zone.Terrain.Size()
	tickHz := uint8(time.Second / zn.zone.Loop.TickLen())
	m2 := zc.Map
	if m2.Seed == 0 {
		m2.Seed = zc.Seed
	}
	pe := codec.PlayerEntered{Character: p.character, NetID: zn.rep.Get(p.entity).NetID, X: spatial.QuantizeCoord(float64(pos.X)),
		Y: spatial.QuantizeCoord(float64(pos.Y)), Epoch: p.epoch, MapSeed: m2.Seed, MapWidth: w, MapHeight: h,
		CellSize: uint16(zc.CellSize), PlayerSpeed: zc.Rules.PlayerSpeed, TickHz: tickHz,
		MapObstacles: float32(m2.Obstacles), MapTileSize: zn.zone.Terrain.TileSize(), MapFile: zc.Terrain != nil}
	zn.node.Reply(m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.PlayerEntered(&pe)})
}

// leave takes a character out, saving it first when asked.
func (zn *Node) leave(character uint64, save bool) {
	p := zn.players[character]
	if p == nil {
		return
	}
	if save {
		zn.save(p)
	}
	delete(zn.players, character)
	delete(zn.byEntity, p.entity)
	zn.zone.RemovePlayer(p.entity)
}

// applyInputs turns this tick's forwarded inputs into intents.
func (zn *Node) applyInputs() {
	for _, in := range zn.inputs {
		p := zn.players[in.Character]
		if in.Character == 0 || p == nil {
			continue
		}
		pl := zn.input.Get(p.entity)
		pl.MoveX, pl.MoveY = float32(in.MoveX)/127, float32(in.MoveY)/127
		pl.Heading = float32(spatial.DequantizeHeading(in.Heading))
		pl.Actions = in.Actions
	}
	zn.inputs = zn.inputs[:0]
}

// checkpoint saves every player now and then.
func (zn *Node) checkpoint(*ecs.World) {
	if time.Since(zn.lastCheckpoint) < zn.cfg.Checkpoint {
		return
	}
	zn.lastCheckpoint = time.Now()
	for _, p := range zn.players {
		zn.save(p)
	}
}

func (zn *Node) save(p *player) {
	pos, h := zn.pos.Get(p.entity), zn.health.Get(p.entity)
	req := codec.DbRequest{Op: wire.DbOpDbSaveCheckpoint, ID: p.character, Epoch: p.epoch, Zone: zn.cfg.Zone.Name,
		X: pos.X, Y: pos.Y, Level: uint16(zn.app.Get(p.entity).Level), Health: h.Cur}
	character := p.character
	zn.db.Do(req, func(_ codec.DbReply, err error) {
		switch {
		case err == nil:
		case errors.Is(err, dbclient.ErrStaleEpoch):
			// Another zone claimed the character: this one lets go.
			zn.log.Warn("zone: character claimed elsewhere, letting go", "character", character)
			if q := zn.players[character]; q != nil && q.epoch == req.Epoch {
				zn.leave(character, false)
			}
		default:
			zn.log.Warn("zone: checkpoint failed", "character", character, "err", err)
		}
	})
}

// playersMoved lists, per gateway, its players that are in another cell
// than the gateway was last told: a gateway finds its players in the cells
// it mirrors, which fails when one is moved far (a respawn at its spawn
// point).
func (zn *Node) playersMoved() {
	for g := range zn.names {
		zn.moved[g] = zn.moved[g][:0]
	}
	for _, p := range zn.players {
		g, ok := zn.gateways[p.gateway]
		if !ok || !zn.zone.World.ECS.Alive(p.entity) {
			continue
		}
		r := zn.rep.Get(p.entity) // the interest system keeps its cell
		if r.Cell == p.cell {
			continue
		}
		p.cell = r.Cell
		pos := zn.pos.Get(p.entity)
		zn.moved[g] = append(zn.moved[g], codec.PlayerAt{NetID: r.NetID,
			X: spatial.QuantizeCoord(float64(pos.X)), Y: spatial.QuantizeCoord(float64(pos.Y))})
	}
}

// send gives each gateway this tick's cells, in one message.
func (zn *Node) send(w *ecs.World) {
	out := zn.zone.Publisher.Output()
	for g := range zn.names {
		zn.cells[g] = zn.cells[g][:0]
	}
	for _, c := range out.Cells {
		for g := range zn.names {
			if c.Gateways&(1<<g) != 0 {
				zn.cells[g] = append(zn.cells[g], c.Bytes)
			}
		}
	}
	for _, f := range out.Full {
		zn.cells[f.Gateway] = append(zn.cells[f.Gateway], f.Bytes)
	}
	zn.playersMoved()
	for g := range zn.names {
		zn.gwEvents[g] = zn.gwEvents[g][:0]
	}
	kept := zn.events[:0]
	for _, ev := range zn.events {
		p := zn.players[ev.Character]
		if p == nil {
			continue // gone: its events with it
		}
		g, ok := zn.gateways[p.gateway]
		if !ok {
			kept = append(kept, ev) // its gateway has not subscribed yet
			continue
		}
		zn.gwEvents[g] = append(zn.gwEvents[g], ev)
	}
	zn.events = kept
	now := time.Now().UnixMilli()
	for g, name := range zn.names {
		if len(zn.cells[g]) == 0 && len(zn.moved[g]) == 0 && len(zn.gwEvents[g]) == 0 {
			continue
		}
		payload := zn.enc.Tick(uint32(w.Time.Tick), now, zn.cells[g], zn.moved[g], zn.gwEvents[g])
		err := zn.node.Send(name, node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: payload})
		// Said once when sends start failing and once when they recover,
		// not twenty times a second.
		switch {
		case err != nil && !zn.unsent[g]:
			zn.log.Warn("zone: ticks not sent", "gateway", name, "tick", w.Time.Tick, "err", fmt.Sprint(err))
		case err == nil && zn.unsent[g]:
			zn.log.Info("zone: ticks sent again", "gateway", name, "tick", w.Time.Tick)
		}
		zn.unsent[g] = err != nil
		if err != nil {
			zn.metrics.ticksUnsent.Inc()
		}
	}
}
