package integration

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/registry"
)

// twoZones turns a dev realm's open zone into two small open zones side by
// side: DEV-ZONE-1 (west) and DEV-ZONE-3 (east), 64 m each, no obstacles,
// no NPCs, a border between them.
func twoZones(extra map[string][]string) func(*registry.Registry) {
	return func(reg *registry.Registry) {
		i := slices.IndexFunc(reg.Nodes, func(e registry.Entry) bool { return e.ID == "DEV-ZONE-1" })
		west := &reg.Nodes[i]
		east := *west
		east.ID = "DEV-ZONE-3"
		port := func(addr string, d int) string {
			host, p, _ := net.SplitHostPort(addr)
			n, _ := strconv.Atoi(p)
			return host + ":" + strconv.Itoa(n+d)
		}
		// Slot 11 of the dev numbering, after the revivers' 9 and 10.
		east.Addr, east.Admin = port(west.Addr, 8), port(west.Admin, 8)
		east.Data = filepath.Join(filepath.Dir(west.Data), east.ID)
		small := []string{"--size", "64", "--obstacles", "-1", "--npcs", "0"}
		cmd := func(id, edge, other string) []string {
			base := []string{reg.Nodes[i].Restart[0], "zone", "--registry", reg.Nodes[i].Restart[3], "--id", id, "--log", "warn"}
			return append(append(append(base, small...), "--"+edge, other), extra[id]...)
		}
		east.Restart = cmd("DEV-ZONE-3", "west", "DEV-ZONE-1")
		west.Restart = cmd("DEV-ZONE-1", "east", "DEV-ZONE-3")
		reg.Nodes = append(reg.Nodes, east)
	}
}

// walk sends a bot's input (MoveX in -127..127) every tick until done says
// so or d passes; it reports whether done did.
func walk(c *client.Conn, moveX int8, d time.Duration, done func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if done() {
			return true
		}
		c.SendInput(codec.Input{MoveX: moveX})
		time.Sleep(50 * time.Millisecond)
	}
	return done()
}

// crossAll walks every bot (at once) until it is in zone, on the same
// gateway connection.
func crossAll(t *testing.T, conns []*client.Conn, moveX int8, zone string) {
	t.Helper()
	var wg sync.WaitGroup
	failed := make(chan string, len(conns))
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gw := c.Gateway()
			if !walk(c, moveX, 30*time.Second, func() bool { return inZone(c, zone) }) {
				x, y, ok := selfAt(c)
				failed <- fmt.Sprintf("bot %d did not reach %s: in %s at (%.1f, %.1f) %v, %+v", i, zone, c.Welcomed().Zone, x, y, ok, c.Counters())
				return
			}
			if c.Gateway() != gw || c.Counters().Reconnects != 0 {
				failed <- fmt.Sprintf("bot %d changed connection crossing into %s", i, zone)
			}
		}()
	}
	wg.Wait()
	close(failed)
	for f := range failed {
		t.Error(f)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// inZone reports whether a bot was welcomed into zone and sees itself.
func inZone(c *client.Conn, zone string) bool {
	_, _, ok := selfAt(c)
	return ok && c.Welcomed().Zone == zone
}

// TestBorderHandoff: bots walk east off DEV-ZONE-1 into DEV-ZONE-3 and back
// west, staying connected to the same gateway: each crossing moves the
// character to the other zone (the source lets go, the target claims it),
// the client is welcomed in the new zone and sees itself there, and each
// zone holds exactly the bots on its side.
func TestBorderHandoff(t *testing.T) {
	const bots = 4
	r := startDevRealm(t, upBase(430), bots, twoZones(nil))
	var conns []*client.Conn
	for i := 0; i < bots; i++ {
		c := r.bot(t, i)
		conns = append(conns, c)
		waitUntil(t, "the bot in the west zone", 10*time.Second, func() bool { return inZone(c, "DEV-ZONE-1") })
	}
	start := time.Now()
	crossAll(t, conns, 127, "DEV-ZONE-3")
	t.Logf("%d bots crossed east in %v", bots, time.Since(start).Round(time.Millisecond))
	waitUntil(t, "the zones to hold the bots where they are", 5*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players") == 0 && r.metric(t, "DEV-ZONE-3", "gridrealm_zone_players") == bots
	})
	crossAll(t, conns, -127, "DEV-ZONE-1")
	waitUntil(t, "the zones to hold the bots where they are", 5*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players") == bots && r.metric(t, "DEV-ZONE-3", "gridrealm_zone_players") == 0
	})
	for i, c := range conns {
		if st := c.Counters(); st.Rewelcomes != 2 || st.Disconnect != 0 {
			t.Errorf("bot %d: %d welcomes after the first, disconnect %v; want 2 and none", i, st.Rewelcomes, st.Disconnect)
		}
	}
}
