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
	// TickLen is the nominal wall time of a tick.
	TickLen time.Duration
	// Dilation is the fraction of TickLen this tick simulates: 1 when the
	// zone keeps up, less when the previous tick overran its budget.
	Dilation float64
	// Dt is the game time this tick simulates, in seconds
	// (TickLen × Dilation).
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
		ECS:  arche.NewWorld(),
		Rand: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		Seed: seed,
		Time: Time{Dilation: 1},
	}
}

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
