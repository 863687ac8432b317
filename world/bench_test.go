package world

import (
	"testing"
)

// Benchmarks of the zone tick on a spread zone of 1,000 bots and 5,000
// NPCs (about 100 entities in each 3 × 3 view). `realm bench zone` runs the
// full-size scenarios. The steady-state tick should allocate (close to)
// nothing: A* searches reuse their buffers (spatial.Pathfinder); what is
// left is slices growing in cells, proximity and replication as entities
// move into cells that never held as many.

func benchZone(b *testing.B) *Zone {
	b.Helper()
	z, err := NewZone(ZoneConfig{Name: "BENCH", Seed: 1, Map: MapConfig{Width: 800, Height: 800}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		x, y, _ := z.RandomWalkable(400, 400, 390)
		z.SpawnNPC(x, y, 1, 1)
	}
	for i := 0; i < 1000; i++ {
		x, y, _ := z.RandomWalkable(400, 400, 390)
		e, _ := z.SpawnPlayer(x, y, 0)
		z.MakeBot(e, x, y, 60)
	}
	for c := int32(0); c < int32(z.Cells.Len()); c++ {
		z.Publisher.Subscribe(GatewayID(c%4), c)
	}
	for i := 0; i < 50; i++ { // past the first enters and full states
		z.Tick()
	}
	return z
}

func BenchmarkTick(b *testing.B) {
	z := benchZone(b)
	b.ReportAllocs()
	for b.Loop() {
		z.Tick()
	}
}

// BenchmarkSystem reports each system's share of real ticks: every
// iteration is a whole tick (so the framework sizes the run by tick time),
// and ns/op is overridden by the system's own time, from the schedule's
// timings. B/op and allocs/op stay those of the whole tick.
func BenchmarkSystem(b *testing.B) {
	names := benchZone(b).Schedule.Names()
	for k, name := range names {
		b.Run(name, func(b *testing.B) {
			z := benchZone(b)
			before := z.Schedule.Timings()[k].Total
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				z.Tick()
			}
			own := z.Schedule.Timings()[k].Total - before
			b.ReportMetric(float64(own.Nanoseconds())/float64(b.N), "ns/op")
		})
	}
}
