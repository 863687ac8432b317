package ecs

import (
	"math/rand/v2"
	"time"

	arche "github.com/mlange-42/arche/ecs"
)

// Time is the game clock of a world, set by the Loop before each tick.
type Time struct {
	// Tick is the number of the running tick, from 1.
	Tick uint64
	// TickLen is the game time every tick simulates, and the wall time it
	// is given.
	TickLen time.Duration
	// Dilation is game time over wall time measured at the previous tick:
	// 1 when the zone keeps its tick, less when ticks run late. Systems
	// need not use it: every tick simulates TickLen, so anything that
	// counts ticks or integrates Dt slows down alike.
	Dilation float64
	// Dt is the game time this tick simulates, in seconds (TickLen).
	Dt float32
	// Elapsed is the game time simulated before this tick.
	Elapsed time.Duration
}

// World is one simulation: the arche world of entities and components, its
// game clock, its seeded random generator and its typed resources. Systems
// run on it one after another on one goroutine.
type World struct {
	// ECS is the arche world; systems query it directly.
	ECS arche.World
	// Time is the game clock.
	Time Time
	// Rand is the only source of randomness a system may use: same seed,
	// same inputs, same world.
	Rand *rand.Rand
	// Seed is the seed Rand started from.
	Seed uint64
}

// NewWorld returns an empty world whose randomness comes from seed.
func NewWorld(seed uint64) *World {
	return &World{
		ECS:  arche.NewWorld(1024), // archetypes start with room for 1,024 entities: a zone's archetypes are few and large
		Rand: NewRand(seed, seed^0x9e3779b97f4a7c15),
		Seed: seed,
		Time: Time{Dilation: 1},
	}
}

// NewRand returns a generator seeded with seed on the given stream: what
// anything deterministic that is not a world's system (map generation)
// draws from, so that no other code needs math/rand.
func NewRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// AddResource registers a resource of type T, one per type. Panics if a
// resource of that type exists already (programmer misuse).
func AddResource[T any](w *World, res *T) { arche.AddResource(&w.ECS, res) }

// Resource returns the resource of type T, or nil when the world has
// none. (arche's GetResource panics on a missing one, whatever its doc
// says.)
func Resource[T any](w *World) *T {
	if !w.ECS.Resources().Has(arche.ResourceID[T](&w.ECS)) {
		return nil
	}
	return arche.GetResource[T](&w.ECS)
}
