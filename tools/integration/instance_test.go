package integration

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
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
// the west band of DEV-ZONE-1 (x 2–8 m) into an instance of crypt, and a
// pool of pool instance nodes (the dev realm's two, and more) releasing an
// empty copy after 2 s, their exit leading back to (32, 32) of DEV-ZONE-1.
func instanceRealm(t *testing.T, base, bots, pool int) *devRealm {
	return startDevRealm(t, base, bots, twoZones(map[string][]string{"DEV-ZONE-1": {"--portal", "2,0,8,64,instance:crypt,0,0"}}),
		func(reg *registry.Registry) {
			var first registry.Entry
			for i := range reg.Nodes {
				if reg.Nodes[i].Role == registry.RoleInstance {
					reg.Nodes[i].Restart = append(reg.Nodes[i].Restart, "--release-after", "2s", "--exit", "DEV-ZONE-1@32,32")
					if first.ID == "" {
						first = reg.Nodes[i]
					}
				}
			}
			for k := 3; k <= pool; k++ { // slots 16, 17, ... of the dev numbering
				e := first
				e.ID = fmt.Sprintf("DEV-INSTANCE-%d", k)
				e.Addr, e.Admin = shiftPort(t, first.Addr, 13+k-8), shiftPort(t, first.Admin, 13+k-8)
				e.Data = filepath.Join(filepath.Dir(first.Data), e.ID)
				e.Restart = slices.Clone(first.Restart)
				e.Restart[slices.Index(e.Restart, "--id")+1] = e.ID
				reg.Nodes = append(reg.Nodes, e)
			}
		})
}

// shiftPort returns addr with its port d higher.
func shiftPort(t *testing.T, addr string, d int) string {
	host, port, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(port)
	if err != nil || err2 != nil {
		t.Fatalf("address %q", addr)
	}
	return net.JoinHostPort(host, strconv.Itoa(n+d))
}

// partyBot is a bot and the system messages it heard.
type partyBot struct {
	c    *client.Conn
	name string
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
		b := &partyBot{name: fmt.Sprintf("bot%d", i)}
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
	toldParty(t, ps)
	return ps
}

// toldParty waits until every bot of a party is told the party, whole,
// its leader (the first bot) first, under the leader's entity in their
// zone.
func toldParty(t *testing.T, ps []*partyBot) {
	t.Helper()
	leader := ps[0].c.Welcomed().EntityID
	for _, b := range ps {
		waitUntil(t, "the party told to each member", 5*time.Second, func() bool {
			m := b.c.Party()
			return len(m) == len(ps) && m[0].ID == leader && m[0].Name == ps[0].name
		})
	}
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

// TestInstancePool: 20 bots in 5 parties of 4. Four parties enter the
// dungeon through a portal, each into its own copy from the realm's pool of
// four; the fifth, the pool exhausted, is told why and stays. The four
// come back through the exit portal, their copies are released to the
// pool, and the fifth then gets one and comes back too. No bot is let go.
func TestInstancePool(t *testing.T) {
	const parties, size = 5, 4
	r := instanceRealm(t, upBase(490), parties*size, parties-1)
	var ps [][]*partyBot
	for k := 0; k < parties; k++ {
		ps = append(ps, party(t, r, k*size, size))
	}
	first, last := ps[:parties-1], ps[parties-1]
	each(t, first, func(p []*partyBot) string {
		if !stepIn(p[0], 20*time.Second, func() bool { _, ok := inInstance(p); return ok }) {
			return fmt.Sprintf("party of %s did not enter an instance: in %s %s %s %s", p[0].c.Welcomed().Zone,
				p[0].zoneOf(), p[1].zoneOf(), p[2].zoneOf(), p[3].zoneOf())
		}
		return ""
	})
	used := map[string]bool{}
	for _, p := range first {
		z, _ := inInstance(p)
		used[z] = true
		if n := p[0].c.Welcomed().ZoneName; n != "The Crypt" { // its template's name for it
			t.Errorf("a copy of the crypt is called %q", n)
		}
		// The party came along, and each sees it in its copy, and no one
		// else.
		toldParty(t, p)
		waitUntil(t, "the party's views to converge in its copy", 5*time.Second, func() bool {
			for _, bt := range p {
				if playersSeen(bt.c) != size {
					return false
				}
			}
			return true
		})
	}
	if len(used) != parties-1 {
		t.Fatalf("%d parties in %d copies: %v", parties-1, len(used), used)
	}
	// The pool is exhausted: the last party is told why and stays.
	if !stepIn(last[0], 15*time.Second, func() bool { return last[0].heard("no instance free") }) {
		t.Fatalf("the last party was not told the pool is exhausted: %q", last[0].news)
	}
	for i, bt := range last {
		waitUntil(t, "every member told why", 5*time.Second, func() bool { return bt.heard("no instance free") })
		if z := bt.zoneOf(); z != "DEV-ZONE-1" {
			t.Fatalf("member %d of the refused party is in %s", i, z)
		}
	}
	comeBack(t, slices.Concat(first...))
	for _, p := range first {
		toldParty(t, p) // back out as one
	}
	waitUntil(t, "every copy released to the pool", 10*time.Second, func() bool {
		for k := 1; k < parties; k++ {
			if r.metric(t, fmt.Sprintf("DEV-INSTANCE-%d", k), "gridrealm_zone_instances_released_total") != 1 {
				return false
			}
		}
		return r.metric(t, "DEV-REALM-1", "gridrealm_realm_instances_free") == parties-1
	})
	if !stepIn(last[0], 20*time.Second, func() bool { _, ok := inInstance(last); return ok }) {
		t.Fatal("the last party did not get an instance once the pool had one")
	}
	comeBack(t, last)
	for _, p := range ps {
		for _, bt := range p {
			if st := bt.c.Counters(); st.Disconnect != 0 || st.Reconnects != 0 {
				t.Fatalf("a bot was let go or reconnected: %+v", st)
			}
		}
	}
}

// each runs fn for every party at once; a non-empty answer fails the test.
func each(t *testing.T, ps [][]*partyBot, fn func([]*partyBot) string) {
	t.Helper()
	var wg sync.WaitGroup
	fails := make(chan string, len(ps))
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if f := fn(p); f != "" {
				fails <- f
			}
		}()
	}
	wg.Wait()
	close(fails)
	for f := range fails {
		t.Error(f)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// comeBack walks bots out of their copy's exit portal (they arrived in it)
// and back in: each must be in DEV-ZONE-1 again.
func comeBack(t *testing.T, bots []*partyBot) {
	t.Helper()
	var wg sync.WaitGroup
	for _, bt := range bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			walk(bt.c, 127, 800*time.Millisecond, func() bool { return false }) // out of the exit portal
			walk(bt.c, -127, 15*time.Second, func() bool { return bt.zoneOf() == "DEV-ZONE-1" })
		}()
	}
	wg.Wait()
	for i, bt := range bots {
		if z := bt.zoneOf(); z != "DEV-ZONE-1" {
			t.Fatalf("bot %d did not come back: in %s", i, z)
		}
	}
}

// TestAnInstanceCrashSendsItsPartyOutAsOne: the instance node holding a
// party's copy is SIGKILLed. The reviver starts it again holding no copy
// (a copy's state is not kept across a crash), so each member's gateway,
// entering it there again, is sent to the pool's exit, and the party is one
// there, in the order it was, though the exit zone never held it: each
// gateway said where its player stood in it (world/gateway/place.go). No
// bot is let go.
func TestAnInstanceCrashSendsItsPartyOutAsOne(t *testing.T) {
	const size = 3
	r := instanceRealm(t, upBase(560), size, 2)
	p := party(t, r, 0, size)
	if !stepIn(p[0], 20*time.Second, func() bool { _, ok := inInstance(p); return ok }) {
		t.Fatalf("the party did not enter an instance: in %s %s %s", p[0].zoneOf(), p[1].zoneOf(), p[2].zoneOf())
	}
	z, _ := inInstance(p)
	toldParty(t, p)
	r.kill(t, z)
	waitUntil(t, "the party at the pool's exit", 20*time.Second, func() bool {
		return !slices.ContainsFunc(p, func(b *partyBot) bool { return b.zoneOf() != "DEV-ZONE-1" })
	})
	toldParty(t, p)
	for _, bt := range p {
		if st := bt.c.Counters(); st.Disconnect != 0 || st.Reconnects != 0 {
			t.Fatalf("%s was let go or reconnected: %+v", bt.name, st)
		}
	}
}
