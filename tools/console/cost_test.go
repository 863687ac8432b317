package console

import (
	"math"
	"testing"
	"time"
)

// TestAGatewaysCostIsOverItsLastSeconds: the CPU a player a tick and the
// cores are the counters' increase over the last costWindow of readings;
// nothing is said over less than costMinSpan, and a gateway whose counters
// went back (restarted) starts again.
func TestAGatewaysCostIsOverItsLastSeconds(t *testing.T) {
	var c costs
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	if _, ok := c.note("G", costReading{at: at(0), cpuS: 10, pTicks: 1000}); ok {
		t.Fatal("a cost from one reading")
	}
	if _, ok := c.note("G", costReading{at: at(0.5), cpuS: 10.2, pTicks: 1100}); ok {
		t.Fatal("a cost over half a second")
	}
	// 100 players at 20 Hz for 2 s: 4,000 player ticks for 0.2 s of CPU.
	got, ok := c.note("G", costReading{at: at(2), cpuS: 10.2, pTicks: 5000})
	if !ok || !near(got.USPerPlayerTick, 50) || !near(got.Cores, 0.1) || got.Span != 2*time.Second {
		t.Fatalf("after 2 s: %+v %v, want 50 µs and 0.1 cores", got, ok)
	}
	// Readings older than the window leave it: from 11 s on, the cost is
	// over 2..12 s, where the gateway spent 1 s on 10,000 player ticks.
	c.note("G", costReading{at: at(6), cpuS: 10.6, pTicks: 9000})
	got, _ = c.note("G", costReading{at: at(12), cpuS: 11.2, pTicks: 15000})
	if !near(got.USPerPlayerTick, 100) || got.Span != 10*time.Second {
		t.Fatalf("over the window: %+v, want 100 µs over 10 s", got)
	}
	// Another gateway's readings are its own.
	if _, ok := c.note("H", costReading{at: at(12), cpuS: 1, pTicks: 1}); ok {
		t.Fatal("a second gateway's first reading gave a cost")
	}
	// Restarted: counters back near zero; no cost until a second reading.
	if _, ok := c.note("G", costReading{at: at(13), cpuS: 0.1, pTicks: 0}); ok {
		t.Fatal("a cost across a restart")
	}
	got, ok = c.note("G", costReading{at: at(15), cpuS: 0.3, pTicks: 0})
	if !ok || got.USPerPlayerTick != 0 || !near(got.Cores, 0.1) {
		t.Fatalf("no players since the restart: %+v %v, want 0 µs and 0.1 cores", got, ok)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }
