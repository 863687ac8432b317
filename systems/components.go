package systems

import (
	"github.com/kelindar/tile"
	arche "github.com/mlange-42/arche/ecs"
)

// Position is where an entity stands, in metres from the terrain's corner.
type Position struct{ X, Y float32 }

// Motion is an entity's current velocity (m/s), top speed and facing
// (radians, 0 = +x, counter-clockwise).
type Motion struct {
	VX, VY  float32
	Speed   float32
	Heading float32
}

// Health is an entity's hit points. LastHit is the tick it last took
// damage (regeneration waits after it).
type Health struct {
	Cur, Max int32
	LastHit  uint64
}

// Appearance is the visible, rarely changing part of an entity.
type Appearance struct {
	Kind     uint8 // spatial.KindPlayer, KindNPC, ...
	Template uint16
	Level    uint8
	Anim     uint8
	Flags    uint8
}

// Replica is the replication bookkeeping of an entity: its network id, its
// cell and slot, and the quantized values last published, against which
// the next changes are computed.
type Replica struct {
	NetID   uint32
	Cell    int32 // spatial.NoCell before the first tick
	Slot    uint16
	QX, QY  uint16 // last published position, 1/256 m from the cell corner
	Heading uint8
	Health  uint8
	Anim    uint8
	Flags   uint8
	// EnteredAt is the tick the entity entered its cell: its full state was
	// sent then, so replication skips it that tick.
	EnteredAt uint64
}

// Brain states of an NPC.
const (
	BrainIdle uint8 = iota
	BrainWander
	BrainChase
	BrainReturn
)

// Brain is an NPC's AI state.
type Brain struct {
	State        uint8
	HomeX, HomeY float32
	GoalX, GoalY float32
	Target       arche.Entity
	WaitUntil    uint64 // idle until this tick
	// Path[:PathLen] is the A* path to the goal when the straight line is
	// blocked, or its first PathSteps steps when it is longer (PathCut: the
	// NPC searches again once it has walked them); PathAt is the next
	// waypoint and PathTick when it was computed. The buffer is part of
	// the component, so that no tick allocates one.
	Path     [PathSteps]tile.Point
	PathLen  uint8
	PathAt   uint8
	PathCut  bool
	PathTick uint64
	ReadyAt  uint64 // next tick it may attack
}

// PathSteps is the most of a path an NPC holds: a chase searches again
// every Rules.PathEvery ticks (5 m at a run's default speed), and a return
// home walks 32 tiles between searches.
const PathSteps = 32

// path returns the waypoints of b's path.
func (b *Brain) path() []tile.Point { return b.Path[:b.PathLen] }

// dropPath forgets b's path.
func (b *Brain) dropPath() { b.PathLen, b.PathAt, b.PathCut = 0, 0, false }

// pathWalked reports whether b has no waypoint left.
func (b *Brain) pathWalked() bool { return b.PathAt >= b.PathLen }

// NPCStats are an NPC's fighting and moving numbers, from its template and
// level (Bestiary) when it spawns, or from a script since.
type NPCStats struct {
	Damage   int32   // per hit
	Range    float32 // m
	Cooldown uint64  // ticks between hits
	Walk     float32 // m/s wandering or returning
	Run      float32 // m/s chasing
	Aggro    float32 // m
	Leash    float32 // m from home
	Wander   float32 // m from home
	Respawn  uint64  // ticks from death to respawn
	// Peaceful NPCs never aggro and players' attacks pass them by (a
	// quest giver).
	Peaceful bool
}

// Player is a player character's input and combat state.
type Player struct {
	MoveX, MoveY float32 // intent, -1..1 per axis
	Heading      float32
	Actions      uint16
	ReadyAt      uint64 // next tick it may attack
	SpawnX       float32
	SpawnY       float32
}

// Player action bits.
const (
	ActionAttack uint16 = 1 << 0
)

// Dead marks an entity that died this tick; the despawn system removes or
// revives it.
type Dead struct{}
