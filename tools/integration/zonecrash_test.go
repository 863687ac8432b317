package integration

import (
	"math"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
)

// TestZoneCrashPlayersStay: the open zone's process is SIGKILLed while
// bots play, and the reviver starts it again. No bot is
// disconnected: its gateway enters it again in the new incarnation (loaded
// from its last checkpoint, claimed with a new epoch), tells it its new
// entity, and its view converges with the zone again.
func TestZoneCrashPlayersStay(t *testing.T) {
	const bots = 6
	r := startDevRealm(t, upBase(800), bots)
	var conns []*client.Conn
	for i := 0; i < bots; i++ {
		conns = append(conns, r.bot(t, i))
	}
	where := selfAt
	waitUntil(t, "every bot to see itself", 10*time.Second, func() bool {
		for _, c := range conns {
			if _, _, ok := where(c); !ok {
				return false
			}
		}
		return true
	})
	before := make([][2]float64, bots)
	for i, c := range conns {
		x, y, _ := where(c)
		before[i] = [2]float64{x, y}
	}
	r.kill(t, "DEV-ZONE-1") // the reviver starts it again
	waitUntil(t, "every bot to be back in the restarted zone", 15*time.Second, func() bool {
		for _, c := range conns {
			if c.Counters().Rewelcomes != 1 {
				return false
			}
			if _, _, ok := where(c); !ok {
				return false
			}
		}
		return true
	})
	for i, c := range conns {
		st := c.Counters()
		if st.Reconnects != 0 || c.Err() != nil {
			t.Errorf("bot %d: reconnected %d times, err %v: a zone crash must not disconnect", i, st.Reconnects, c.Err())
		}
		// The bots stood still: back where they were (their character's
		// checkpoint is where they entered).
		x, y, _ := where(c)
		if d := math.Hypot(x-before[i][0], y-before[i][1]); d > 1 {
			t.Errorf("bot %d: back at (%.1f, %.1f), was at (%.1f, %.1f)", i, x, y, before[i][0], before[i][1])
		}
	}
	if n := r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players"); n != bots {
		t.Fatalf("the restarted zone holds %v players, want %d", n, bots)
	}
}
