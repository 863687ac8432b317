package world

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/systems"
)

// ZoneConfig configures a zone; the zero value of a field means its
// default.
type ZoneConfig struct {
	// Name is the zone's node id or instance name.
	Name string
	// Seed seeds the world's random generator (and the map, when generated).
	Seed uint64
	// Terrain is the zone's ground; nil generates one from Map.
	Terrain *spatial.Terrain
	// Map describes the terrain to generate when Terrain is nil.
	Map MapConfig
	// CellSize is the interest cell edge in metres (default 32, at most 255).
	CellSize int
	// ViewRadius is how many cells around its own a player sees (default 1:
	// a 3 × 3 block; at most MaxViewRadius). Gateways subscribe their
	// players to that block.
	ViewRadius int
	// MaxVisible is the most entities a player is shown at once, the
	// nearest (default 0: every one within ViewRadius; at most
	// MaxMaxVisible). In a crowd, what a gateway spends on a player's
	// snapshot, and its client on applying it, follows what the player
	// sees: every player in view of every other costs the square of the
	// crowd. A bound makes it linear.
	MaxVisible int
	// TickLen is the tick length (default 50 ms).
	TickLen time.Duration
	// Rules are the gameplay numbers.
	Rules systems.Rules
	// Bestiary holds the NPC templates' numbers (content's npcs); a
	// template it lacks fights with the rules' defaults.
	Bestiary systems.Bestiary
	// PlayerCap bounds the players of an instance (default 0: no cap).
	PlayerCap int
}

// ErrFull is returned when an instance is at its player cap.
var ErrFull = errors.New("zone is full")

// ErrConfig is wrapped by every configuration error of a zone.
var ErrConfig = errors.New("world: invalid zone config")

// MaxViewRadius is the largest ViewRadius: 7 watches a 15 × 15 block,
// which at the default cell size is most of a small zone.
const MaxViewRadius = 7

// MaxMaxVisible is the largest MaxVisible (what the wire carries).
const MaxMaxVisible = 1<<16 - 1

// Zone is one ECS world at a fixed tick, with its terrain, interest grid
// and the schedule of systems: the game logic of one zone or instance
// node. It runs with no network at all; the node around it feeds inputs
// and sends Publisher's output.
type Zone struct {
	cfg       ZoneConfig
	World     *ecs.World
	Terrain   *spatial.Terrain
	Cells     *spatial.Cells
	Schedule  *ecs.Schedule
	Loop      *ecs.Loop
	Spawner   *systems.Spawner
	Publisher *Publisher
	players   int

	bots    generic.Map1[systems.Bot]
	replica generic.Map[systems.Replica]
	hashQ   generic.Filter4[systems.Replica, systems.Position, systems.Health, systems.Motion]
	brains  generic.Map[systems.Brain]
}

// NewZone builds a zone. clock times the ticks (the real clock when nil).
func NewZone(cfg ZoneConfig, clock ecs.Clock) (*Zone, error) {
	if cfg.CellSize == 0 {
		cfg.CellSize = 32
	}
	if cfg.ViewRadius == 0 {
		cfg.ViewRadius = 1
	}
	switch {
	case cfg.ViewRadius < 0 || cfg.ViewRadius > MaxViewRadius:
		return nil, fmt.Errorf("%w: zone %s: ViewRadius %d is outside 1..%d", ErrConfig, cfg.Name, cfg.ViewRadius, MaxViewRadius)
	case cfg.MaxVisible < 0 || cfg.MaxVisible > MaxMaxVisible:
		return nil, fmt.Errorf("%w: zone %s: MaxVisible %d is outside 0..%d", ErrConfig, cfg.Name, cfg.MaxVisible, MaxMaxVisible)
	case cfg.PlayerCap < 0:
		return nil, fmt.Errorf("%w: zone %s: PlayerCap %d is negative", ErrConfig, cfg.Name, cfg.PlayerCap)
	}
	cfg.Rules = cfg.Rules.WithDefaults()
	t := cfg.Terrain
	if t == nil {
		m := cfg.Map
		if m.Seed == 0 {
			m.Seed = cfg.Seed
		}
		var err error
		if t, err = GenerateMap(m); err != nil {
			return nil, fmt.Errorf("zone %s: %w", cfg.Name, err)
		}
	}
	w, h := t.Size()
	cells, err := spatial.NewCells(w, h, cfg.CellSize)
	if err != nil {
		return nil, fmt.Errorf("zone %s: %w", cfg.Name, err)
	}

	world := ecs.NewWorld(cfg.Seed)
	rules := cfg.Rules
	ecs.AddResource(world, &rules)
	bestiary := cfg.Bestiary
	ecs.AddResource(world, &bestiary)
	ecs.AddResource(world, t)
	ecs.AddResource(world, cells)
	ecs.AddResource(world, systems.NewProximity(cells.Len()))
	ecs.AddResource(world, &systems.NetIDs{})
	ecs.AddResource(world, &systems.Respawns{})
	ecs.AddResource(world, &systems.CombatLog{Hits: make([]systems.Hit, 0, 256)}) // room for a busy tick's hits

	z := &Zone{cfg: cfg, World: world, Terrain: t, Cells: cells,
		Spawner: systems.NewSpawner(world), Publisher: NewPublisher(world, cells),
		bots: generic.NewMap1[systems.Bot](&world.ECS), brains: generic.NewMap[systems.Brain](&world.ECS),
		replica: generic.NewMap[systems.Replica](&world.ECS)}
	z.Spawner.Prewarm(world)
	z.hashQ = *generic.NewFilter4[systems.Replica, systems.Position, systems.Health, systems.Motion]()
	z.hashQ.Register(&world.ECS)

	// The tick's pipeline. The order is the game's rules: keep it in step
	// with DESIGN.md §3.
	s := ecs.NewSchedule(clock)
	s.Add(ecs.PhaseInput, "bots", systems.NewBots(world))
	s.Add(ecs.PhaseInput, "input", systems.NewInput(world))
	s.Add(ecs.PhaseSimulation, "ai", systems.NewAI(world))
	s.Add(ecs.PhaseSimulation, "movement", systems.NewMovement(world))
	s.Add(ecs.PhaseSimulation, "combat", systems.NewCombat(world))
	s.Add(ecs.PhaseSimulation, "regen", systems.NewRegen(world))
	s.Add(ecs.PhaseSpatial, "despawn", systems.NewDespawn(world))
	s.Add(ecs.PhaseSpatial, "respawn", systems.NewRespawner(z.Spawner))
	s.Add(ecs.PhaseSpatial, "interest", systems.NewInterest(world))
	s.Add(ecs.PhaseSpatial, "proximity", systems.NewIndexProximity(world))
	s.Add(ecs.PhaseReplication, "replication", systems.NewReplication(world))
	s.Add(ecs.PhasePublish, "publish", z.Publisher)
	z.Schedule = s
	z.Loop = ecs.NewLoop(ecs.LoopConfig{TickLen: cfg.TickLen}, clock, world, s)
	return z, nil
}

// Config returns the zone's configuration with defaults applied.
func (z *Zone) Config() ZoneConfig { return z.cfg }

// SpawnNPC places an NPC with its home at (x, y).
func (z *Zone) SpawnNPC(x, y float32, template uint16, level uint8) (arche.Entity, error) {
	if !z.Terrain.Walkable(x, y) {
		return arche.Entity{}, fmt.Errorf("zone %s: NPC at (%.1f, %.1f): not walkable", z.cfg.Name, x, y)
	}
	return z.Spawner.NPC(z.World, x, y, template, level), nil
}

// Players counts the player characters in the zone.
func (z *Zone) Players() int { return z.players }

// SpawnPlayer places a player character at (x, y); an instance refuses
// players beyond its cap with ErrFull.
func (z *Zone) SpawnPlayer(x, y float32, template uint16) (arche.Entity, error) {
	if z.cfg.PlayerCap > 0 && z.players >= z.cfg.PlayerCap {
		return arche.Entity{}, fmt.Errorf("zone %s: %w (%d players)", z.cfg.Name, ErrFull, z.players)
	}
	if !z.Terrain.Walkable(x, y) {
		return arche.Entity{}, fmt.Errorf("zone %s: player at (%.1f, %.1f): not walkable", z.cfg.Name, x, y)
	}
	z.players++
	return z.Spawner.Player(z.World, x, y, template), nil
}

// RemovePlayer takes a player character out of the zone: its cell gets a
// leave record and the entity is gone. Call it between systems (no query
// open), e.g. from the input phase.
func (z *Zone) RemovePlayer(e arche.Entity) {
	if !z.World.ECS.Alive(e) {
		return
	}
	if r := z.replica.Get(e); r != nil && r.Cell != spatial.NoCell {
		z.Cells.Leave(r.Cell, r.Slot, uint32(z.World.Time.Tick))
	}
	z.World.ECS.RemoveEntity(e)
	z.players--
}

// DespawnNPC takes an NPC out of the zone for good (no death, no respawn).
// Call it between systems (no query open).
func (z *Zone) DespawnNPC(e arche.Entity) {
	if !z.World.ECS.Alive(e) {
		return
	}
	if r := z.replica.Get(e); r != nil && r.Cell != spatial.NoCell {
		z.Cells.Leave(r.Cell, r.Slot, uint32(z.World.Time.Tick))
	}
	z.World.ECS.RemoveEntity(e)
}

// MakeBot makes a player character a simulated player roaming the circle
// of radius r around (x, y).
func (z *Zone) MakeBot(e arche.Entity, x, y, r float32) {
	z.bots.Add(e)
	*z.bots.Get(e) = systems.Bot{AreaX: x, AreaY: y, AreaR: r, GoalX: x, GoalY: y}
}

// RandomWalkable returns a random walkable point within r metres of
// (x, y), drawn from the world's generator, or false after some tries.
func (z *Zone) RandomWalkable(x, y, r float32) (float32, float32, bool) {
	for try := 0; try < 32; try++ {
		a := z.World.Rand.Float64() * 2 * math.Pi
		d := math.Sqrt(z.World.Rand.Float64()) * float64(r)
		px, py := x+float32(math.Cos(a)*d), y+float32(math.Sin(a)*d)
		if z.Terrain.Walkable(px, py) {
			return px, py, true
		}
	}
	return 0, 0, false
}

// Entities counts the replicated entities (players and NPCs alive).
func (z *Zone) Entities() int {
	q := z.hashQ.Query(&z.World.ECS)
	n := q.Count()
	q.Close()
	return n
}

// Tick runs one tick now.
func (z *Zone) Tick() ecs.TickStats { return z.Loop.Step() }

// Run ticks at the zone's rate until ctx ends.
func (z *Zone) Run(ctx context.Context, onTick func(ecs.TickStats)) { z.Loop.Run(ctx, onTick) }

// StateHash digests the simulation state: every replicated entity's id,
// position, health, facing and AI state, in the world's (deterministic)
// iteration order, and the tick. Same seed and inputs give the same hash.
func (z *Zone) StateHash() uint64 {
	h := fnv.New64a()
	var b [8]byte
	put32 := func(v uint32) {
		binary.LittleEndian.PutUint32(b[:4], v)
		h.Write(b[:4])
	}
	binary.LittleEndian.PutUint64(b[:], z.World.Time.Tick)
	h.Write(b[:])
	q := z.hashQ.Query(&z.World.ECS)
	for q.Next() {
		r, p, hp, m := q.Get()
		put32(r.NetID)
		put32(math.Float32bits(p.X))
		put32(math.Float32bits(p.Y))
		put32(uint32(hp.Cur))
		put32(math.Float32bits(m.Heading))
		if br := z.brains.Get(q.Entity()); br != nil {
			put32(uint32(br.State))
		}
	}
	return h.Sum64()
}
