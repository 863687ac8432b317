package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/world"
)

// TestDeadGatewayLeavesNoGhosts: when a gateway's links die the way a
// crash kills them (no goodbye), the zone saves and takes out its players
// and the realm forgets them within the gateway grace (2 s): nobody stays
// in the world for NPCs to fight.
func TestDeadGatewayLeavesNoGhosts(t *testing.T) {
	c := startCore(t, "ghost-test-secret-0123456789abcdef", world.ZoneConfig{Seed: 4, Map: world.MapConfig{Width: 128, Height: 128, Obstacles: -1}})
	gw, lg := c.startFront(t)
	for i := 0; i < 4; i++ {
		c.player(t, lg, gw.Addr(), fmt.Sprintf("g%d", i))
	}
	waitUntil(t, "4 players in the zone", 5*time.Second, func() bool {
		return metric(t, c.zone.Node(), "gridrealm_zone_players") == 4 && len(c.realm.Directory()) == 4
	})
	killed := time.Now()
	gw.Node().Kill() // its links close with no goodbye, as in a crash
	waitUntil(t, "the zone and the realm to let the players go", 5*time.Second, func() bool {
		return metric(t, c.zone.Node(), "gridrealm_zone_players") == 0 && len(c.realm.Directory()) == 0
	})
	if took := time.Since(killed); took > 3*time.Second {
		t.Fatalf("ghosts stayed %v", took)
	}
	if n := metric(t, c.zone.Node(), "gridrealm_zone_players_dropped_total"); n != 4 {
		t.Fatalf("%v players dropped, want 4", n)
	}
}
