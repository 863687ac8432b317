package integration

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/net/wire"
)

// instanceRealm is a dev realm with its two small open zones, a portal in
// the west band of DEV-ZONE-1 (x 2–8 m) into an instance of crypt, and its
// two instance nodes releasing an empty copy after 2 s, their exit leading
// back to (32, 32) of DEV-ZONE-1.
func instanceRealm(t *testing.T, base, bots int) *devRealm {
	return startDevRealm(t, base, bots, twoZones(map[string][]string{"DEV-ZONE-1": {"--portal", "2,0,8,64,instance:crypt,0,0"}}),
		func(reg *registry.Registry) {
			for i := range reg.Nodes {
				if reg.Nodes[i].Role == registry.RoleInstance {
					reg.Nodes[i].Restart = append(reg.Nodes[i].Restart, "--release-after", "2s", "--exit", "DEV-ZONE-1@32,32")
				}
			}
		})
}

// partyBot is a bot and the system messages it heard.
type partyBot struct {
	c    *client.Conn
	mu   sync.Mutex
	news []string
}

func (b *partyBot) heard(substr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.ContainsFunc(b.news, func(s string) bool { return strings.Contains(s, substr) })
}

// zoneOf is the zone a bot was last welcomed in, once it sees itself.
func (b *partyBot) zoneOf() string {
	if _, _, ok := selfAt(b.c); !ok {
		return ""
	}
	return b.c.Welcomed().Zone
}

// party connects bots first..first+n-1; the later ones join the first's
// party.
func party(t *testing.T, r *devRealm, first, n int) []*partyBot {
	t.Helper()
	var ps []*partyBot
	for i := first; i < first+n; i++ {
		b := &partyBot{}
		b.c = r.bot(t, i, func(o *client.Options) {
			o.OnEvent = func(m *wire.ServerMessage) {
				if m.BodyType() == wire.ServerBodySystemMessage {
					var sm wire.SystemMessage
					codec.Member(m.Body, &sm)
					b.mu.Lock()
					b.news = append(b.news, string(sm.Text()))
					b.mu.Unlock()
				}
			}
		})
		waitUntil(t, "the bot in the west zone", 10*time.Second, func() bool { return b.zoneOf() == "DEV-ZONE-1" })
		ps = append(ps, b)
	}
	for _, b := range ps[1:] {
		b.c.Chat(codec.ChatSay, "", fmt.Sprintf("/party bot%d", first))
		waitUntil(t, "the bot in the party", 5*time.Second, func() bool { return b.heard("joined") })
	}
	return ps
}

// stepIn walks a bot out of and into the west portal band: into the band
// from the east, until done says so.
func stepIn(b *partyBot, d time.Duration, done func() bool) bool {
	walk(b.c, 127, 1500*time.Millisecond, func() bool { return false }) // out of the band, if in it
	return walk(b.c, -127, d, done)
}

// inInstance reports whether every bot of a party sees itself in the same
// instance node, and which.
func inInstance(ps []*partyBot) (string, bool) {
	z := ps[0].zoneOf()
	for _, b := range ps {
		if b.zoneOf() != z {
			return "", false
		}
	}
	return z, strings.HasPrefix(z, "DEV-INSTANCE-")
}

// TestInstancePool: parties of 4 enter the dungeon through a portal, each
// into its own copy from the realm's pool of two; a third party, the pool
// exhausted, is told why and stays; the first two come back through the
// exit portal, their copies are released to the pool, and the third party
// then gets one.
func TestInstancePool(t *testing.T) {
	r := instanceRealm(t, upBase(490), 12)
	a, b, c := party(t, r, 0, 4), party(t, r, 4, 4), party(t, r, 8, 4)
	var used []string
	for _, p := range [][]*partyBot{a, b} {
		if !stepIn(p[0], 20*time.Second, func() bool { _, ok := inInstance(p); return ok }) {
			t.Fatalf("party of bot%s did not enter an instance: zones %s %s %s %s", p[0].c.Welcomed().Zone,
				p[0].zoneOf(), p[1].zoneOf(), p[2].zoneOf(), p[3].zoneOf())
		}
		z, _ := inInstance(p)
		used = append(used, z)
	}
	if used[0] == used[1] {
		t.Fatalf("two parties in one copy: %v", used)
	}
	// The pool is exhausted: the third party is told why and stays.
	if !stepIn(c[0], 15*time.Second, func() bool { return c[0].heard("no instance free") }) {
		t.Fatalf("the third party was not told the pool is exhausted: %q", c[0].news)
	}
	for i, bt := range c {
		waitUntil(t, "every member told why", 5*time.Second, func() bool { return bt.heard("no instance free") })
		if z := bt.zoneOf(); z != "DEV-ZONE-1" {
			t.Fatalf("member %d of the refused party is in %s", i, z)
		}
	}
	// The first two come back through the exit portal at the entry.
	var wg sync.WaitGroup
	for _, bt := range slices.Concat(a, b) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			walk(bt.c, 127, 800*time.Millisecond, func() bool { return false }) // out of the exit portal
			walk(bt.c, -127, 15*time.Second, func() bool { return bt.zoneOf() == "DEV-ZONE-1" })
		}()
	}
	wg.Wait()
	for i, bt := range slices.Concat(a, b) {
		if z := bt.zoneOf(); z != "DEV-ZONE-1" {
			t.Fatalf("bot %d did not come back: in %s", i, z)
		}
	}
	waitUntil(t, "both copies released to the pool", 10*time.Second, func() bool {
		return r.metric(t, "DEV-INSTANCE-1", "gridrealm_zone_instances_released_total") == 1 &&
			r.metric(t, "DEV-INSTANCE-2", "gridrealm_zone_instances_released_total") == 1
	})
	if !stepIn(c[0], 20*time.Second, func() bool { _, ok := inInstance(c); return ok }) {
		t.Fatal("the third party did not get an instance once the pool had one")
	}
	for _, bt := range slices.Concat(a, b, c) {
		if st := bt.c.Counters(); st.Disconnect != 0 || st.Reconnects != 0 {
			t.Fatalf("a bot was let go or reconnected: %+v", st)
		}
	}
}
