package integration

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/world"
)

// TestCheatersAreCorrected: a client claiming 1.5 times its top speed, or
// a blocked tile, is corrected; one flooding inputs is disconnected with a
// reason; an honest one whose inputs arrive with up to 200 ms of jitter is
// never corrected.
func TestCheatersAreCorrected(t *testing.T) {
	mapCfg := world.MapConfig{Width: 256, Height: 256, Obstacles: 0.3, Seed: 11}
	rc := startCore(t, "cheat-test-secret-0123456789abcd", world.ZoneConfig{Seed: 11, Map: mapCfg})
	gw, lg := rc.startFront(t)
	connect := func(name string) *client.Conn { return rc.player(t, lg, gw.Addr(), name) }
	honest, speeder, waller, flooder := connect("honest"), connect("speeder"), connect("waller"), connect("flooder")

	// The waller's claim: the blocked tile nearest to where it stands.
	terrain, _ := world.GenerateMap(mapCfg)
	wx, wy := spatial.DequantizeCoord(waller.Welcome.X), spatial.DequantizeCoord(waller.Welcome.Y)
	var wall [2]float64
	best := math.Inf(1)
	for dy := -3.0; dy <= 3; dy += 0.5 {
		for dx := -3.0; dx <= 3; dx += 0.5 {
			if d := math.Hypot(dx, dy); d < best && !terrain.Walkable(float32(wx+dx), float32(wy+dy)) {
				best, wall = d, [2]float64{wx + dx, wy + dy}
			}
		}
	}
	if math.IsInf(best, 1) {
		t.Fatal("no blocked tile within 3 m of the waller: pick another seed")
	}

	var wg sync.WaitGroup
	start := time.Now()
	// The honest client: its inputs (claiming what it sees) arrive with up
	// to 200 ms of jitter, out of order.
	wg.Add(1)
	go func() {
		defer wg.Done()
		jitter := rand.New(rand.NewPCG(1, 2))
		var sends sync.WaitGroup
		for time.Since(start) < 3*time.Second {
			delay := time.Duration(jitter.IntN(200)) * time.Millisecond
			sends.Add(1)
			go func() {
				defer sends.Done()
				time.Sleep(delay)
				honest.SendInput(codec.Input{MoveX: 127})
			}()
			time.Sleep(50 * time.Millisecond)
		}
		sends.Wait()
	}()
	// The speeder claims 1.5 times the top speed, east.
	wg.Add(1)
	go func() {
		defer wg.Done()
		x0, y0 := spatial.DequantizeCoord(speeder.Welcome.X), spatial.DequantizeCoord(speeder.Welcome.Y)
		for time.Since(start) < 3*time.Second {
			x := x0 + 1.5*6*time.Since(start).Seconds()
			speeder.SendInput(codec.Input{MoveX: 127, X: spatial.QuantizeCoord(x), Y: spatial.QuantizeCoord(y0)})
			time.Sleep(50 * time.Millisecond)
		}
	}()
	// The waller steps into the wall once, 1 s in.
	time.Sleep(time.Second)
	wallSent := time.Now()
	waller.SendInput(codec.Input{X: spatial.QuantizeCoord(wall[0]), Y: spatial.QuantizeCoord(wall[1])})
	waitUntil(t, "the waller's correction", 2*time.Second, func() bool { return waller.Counters().Corrections > 0 })
	if d := time.Since(wallSent); d > 150*time.Millisecond {
		t.Errorf("the step into the wall was corrected after %v", d)
	}
	// The flooder sends inputs as fast as it can: far over its budget, it
	// is disconnected with a reason.
	for i := 0; i < 5000 && flooder.Counters().Disconnect == 0; i++ {
		flooder.SendInput(codec.Input{})
		if i%100 == 99 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitUntil(t, "the flooder's disconnect", 5*time.Second, func() bool { return flooder.Counters().Disconnect != 0 })
	if r := flooder.Counters().Disconnect; r != wire.DisconnectReasonMessageFlood {
		t.Fatalf("the flooder was disconnected for %v", r)
	}
	wg.Wait()
	// Operators see it on the gateway's /metrics.
	if n := metric(t, gw.Node(), "gridrealm_gateway_disconnects_total", "reason", "MessageFlood"); n != 1 {
		t.Errorf("metrics: %v MessageFlood disconnects, want 1", n)
	}
	if metric(t, gw.Node(), "gridrealm_gateway_corrections_total") == 0 || metric(t, gw.Node(), "gridrealm_gateway_messages_over_budget_total", "kind", "input") == 0 {
		t.Error("metrics: no corrections or no inputs dropped over budget")
	}

	if n := honest.Counters().Corrections; n != 0 {
		t.Fatalf("the honest client was corrected %d times", n)
	}
	s := speeder.Counters()
	if s.Corrections == 0 {
		t.Fatal("the speeder was never corrected")
	}
	// A correction carries the authoritative position: where the zone has
	// the speeder, not where it claimed to be.
	speeder.View(func(w *client.World) {
		self, _ := w.Entity(speeder.Welcome.EntityID)
		if cx := spatial.DequantizeCoord(s.CorrectX); cx > self.X+1 {
			t.Fatalf("corrected to x=%.1f, the zone has it at %.1f", cx, self.X)
		}
	})
	if w := waller.Counters(); math.Hypot(spatial.DequantizeCoord(w.CorrectX)-wx, spatial.DequantizeCoord(w.CorrectY)-wy) > 0.5 {
		t.Fatalf("the waller was corrected to (%.2f, %.2f), it stands at (%.2f, %.2f)",
			spatial.DequantizeCoord(w.CorrectX), spatial.DequantizeCoord(w.CorrectY), wx, wy)
	}
}
