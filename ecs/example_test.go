package ecs_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
)

// Counter is a resource systems share.
type Counter struct{ Hits int }

// A schedule runs its systems phase by phase, in the order they were added
// within a phase, every tick.
func ExampleSchedule() {
	w := ecs.NewWorld(42)
	ecs.AddResource(w, &Counter{})
	s := ecs.NewSchedule(nil)
	s.Add(ecs.PhaseSimulation, "combat", ecs.SystemFunc(func(w *ecs.World) {
		ecs.Resource[Counter](w).Hits += 1 + w.Rand.IntN(3) // randomness from the world's seed
	}))
	s.Add(ecs.PhaseInput, "input", ecs.SystemFunc(func(*ecs.World) {}))
	fmt.Println(s.Names())
	for range 10 {
		s.Run(w)
	}
	fmt.Println("hits after 10 ticks:", ecs.Resource[Counter](w).Hits)
	// Output:
	// [input combat]
	// hits after 10 ticks: 23
}

// A loop ticks a schedule at a fixed rate. Driven by a ManualClock it runs
// as fast as the machine allows with exact timings: here every tick's
// systems take 100 ms of a 50 ms budget, and the game clock runs at half
// of wall time, which the loop reports as its dilation.
func ExampleLoop() {
	clock := ecs.NewManualClock(time.Unix(0, 0))
	w := ecs.NewWorld(1)
	s := ecs.NewSchedule(clock)
	s.Add(ecs.PhaseSimulation, "slow", ecs.SystemFunc(func(*ecs.World) { clock.Advance(100 * time.Millisecond) }))
	l := ecs.NewLoop(ecs.LoopConfig{TickLen: 50 * time.Millisecond}, clock, w, s)

	ctx, cancel := context.WithCancel(context.Background())
	l.Run(ctx, func(st ecs.TickStats) {
		if st.Tick == 100 {
			cancel()
		}
	})
	fmt.Printf("100 ticks: %v of game time in %v of wall time, dilation %.2f\n",
		w.Time.Elapsed+w.Time.TickLen, clock.Now().Sub(time.Unix(0, 0)), l.Dilation())
	// Output:
	// 100 ticks: 5s of game time in 10s of wall time, dilation 0.50
}
