package integration

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/tools/launch"
)

// arena is the second realm of twoRealms.
const arena = "arena"

// twoRealms makes the dev registry a cluster of two realms: the dev realm
// and "arena" (its own db, one open zone and its realm node), served by
// three gateways and a pool of two instance nodes that both realms share,
// and by the dev realm's two login nodes over one login db. Both realms'
// open zones are 64 m wide with a portal in their west band (x 2–8 m)
// into an instance of crypt, whose exit leads back to (32, 32) of the
// realm's own zone.
func twoRealms(t *testing.T, base int) func(*registry.Registry) {
	return func(reg *registry.Registry) {
		twoZones(map[string][]string{"DEV-ZONE-1": {"--portal", "2,0,8,64,instance:crypt,0,0"}})(reg)
		var gw, zone, db, realmNode registry.Entry
		for i := range reg.Nodes {
			e := &reg.Nodes[i]
			switch e.ID {
			case "DEV-GATEWAY-1", "DEV-GATEWAY-2":
				e.Realm, gw = "", *e
			case "DEV-INSTANCE-1", "DEV-INSTANCE-2":
				e.Realm = ""
				at := slices.Index(e.Restart, "--exit")
				e.Restart = slices.Delete(e.Restart, at, at+2) // each realm gives its exit
				e.Restart = append(e.Restart, "--release-after", "2s")
			case "DEV-REALM-1":
				e.Restart = append(e.Restart, "--instance-exit", "DEV-ZONE-1@32,32")
				realmNode = *e
			case "DEV-ZONE-1":
				zone = *e
			case "DEV-DB-1":
				db = *e
			}
		}
		clone := func(from registry.Entry, id, realm string, slot int, extra ...string) registry.Entry {
			e := from
			e.ID, e.Realm = id, realm
			// The dev numbering: link at base+slot, players +1000, admin +2000.
			e.Addr, e.Admin = fmt.Sprintf("127.0.0.1:%d", base+slot), fmt.Sprintf("127.0.0.1:%d", base+2000+slot)
			if e.Public != "" {
				e.Public = fmt.Sprintf("127.0.0.1:%d", base+1000+slot)
			}
			e.Data = strings.Replace(from.Data, from.ID, id, 1)
			e.Restart = slices.Clone(from.Restart)
			e.Restart[slices.Index(e.Restart, "--id")+1] = id
			if i := slices.Index(e.Restart, "--instance-exit"); i >= 0 {
				e.Restart = e.Restart[:i]
			}
			e.Restart = append(e.Restart, extra...)
			return e
		}
		reg.Nodes = append(reg.Nodes,
			clone(gw, "DEV-GATEWAY-3", "", 16),
			clone(db, "ARENA-DB", arena, 17),
			clone(zone, "ARENA-ZONE-1", arena, 18),
			clone(realmNode, "ARENA-REALM", arena, 19, "--instance-exit", "ARENA-ZONE-1@32,32"))
		// The arena's zone has no neighbours and no second portal.
		for i := range reg.Nodes {
			if e := &reg.Nodes[i]; e.ID == "ARENA-ZONE-1" {
				at := slices.Index(e.Restart, "--world")
				e.Restart = slices.Delete(e.Restart, at, at+2)
			}
		}
	}
}

// TestTwoRealmsShareGatewaysLoginsAndAPool: 60 bots, half in each realm,
// log in through either login node and land balanced across the three
// shared gateways; a party of each realm enters an instance from the
// shared pool (each copy claimed in its realm's db) and leaves it into
// its own realm; with a login node SIGKILLed, players of both realms still
// log in through the other.
func TestTwoRealmsShareGatewaysLoginsAndAPool(t *testing.T) {
	const bots = 60
	base := upBase(980)
	r := startDevRealm(t, base, bots+4, twoRealms(t, base))
	realms := []struct{ name, zone string }{{launch.DevRealm, "DEV-ZONE-1"}, {arena, "ARENA-ZONE-1"}}
	conns := make([]*client.Conn, bots)
	for i := range conns {
		rm := realms[i%2]
		conns[i] = r.botAt(t, i, []string{"DEV-LOGIN-1", "DEV-LOGIN-2"}[(i/2)%2], rm.name)
		waitUntil(t, "the bot in its realm's zone", 10*time.Second, func() bool {
			_, _, ok := selfAt(conns[i])
			return ok && conns[i].Welcomed().Zone == rm.zone
		})
	}
	var counts []float64
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		counts = counts[:0]
		for _, id := range []string{"DEV-GATEWAY-1", "DEV-GATEWAY-2", "DEV-GATEWAY-3"} {
			counts = append(counts, r.metric(t, id, "gridrealm_gateway_players"))
		}
		if counts[0]+counts[1]+counts[2] == bots {
			break
		}
		if time.Now().After(deadline) {
			var st []string
			for i, c := range conns {
				if n := c.Counters(); n.Reconnects != 0 || n.Disconnect != 0 || c.Err() != nil {
					st = append(st, fmt.Sprintf("bot%d %+v %v", i, n, c.Err()))
				}
			}
			t.Fatalf("the gateways count %v players, want %d in all; bots that were not steady: %v", counts, bots, st)
		}
	}
	if slices.Max(counts)-slices.Min(counts) > 1 {
		t.Fatalf("players per gateway %v: want %d, spread by at most 1", counts, bots)
	}
	t.Logf("players per gateway: %v", counts)
	for _, rm := range []string{"DEV-REALM-1", "ARENA-REALM"} {
		if n := r.metric(t, rm, "gridrealm_realm_players"); n != bots/2 {
			t.Fatalf("%s places %v players, want %d", rm, n, bots/2)
		}
	}

	// A system message to one realm reaches its players on the shared
	// gateways, and no one of the other realm.
	reached := 0
	for _, id := range []string{"DEV-GATEWAY-1", "DEV-GATEWAY-2", "DEV-GATEWAY-3"} {
		code, body := r.postActionBody(t, id, "/admin/broadcast", url.Values{"realm": {arena}, "text": {"arena only"}}, true)
		var n int
		if _, err := fmt.Sscan(body, &n); code != 200 || err != nil {
			t.Fatalf("%s: broadcast to the arena: %d %q", id, code, body)
		}
		reached += n
	}
	if reached != bots/2 {
		t.Fatalf("a message to the arena reached %d players, want its %d", reached, bots/2)
	}

	// A party of two of each realm, through the shared pool.
	var parties [][]*partyBot
	for k := range realms {
		p := []*partyBot{{c: conns[k]}, {c: conns[k+2]}}
		p[1].c.Chat(codec.ChatSay, "", fmt.Sprintf("/party bot%d", k))
		parties = append(parties, p)
	}
	time.Sleep(500 * time.Millisecond) // the /party commands land before the portal
	each(t, parties, func(p []*partyBot) string {
		if !stepIn(p[0], 20*time.Second, func() bool { _, ok := inInstance(p); return ok }) {
			return fmt.Sprintf("party of %s did not enter an instance: in %s, %s", p[0].c.Welcomed().Zone, p[0].zoneOf(), p[1].zoneOf())
		}
		return ""
	})
	a, _ := inInstance(parties[0])
	b, _ := inInstance(parties[1])
	if a == b {
		t.Fatalf("both realms' parties in one copy on %s", a)
	}
	// Each copy claimed its party in its own realm's db: there the
	// characters are the instance node's now.
	for k, db := range []string{"DEV-DB-1", "ARENA-DB"} {
		rep, err := r.dbClient(t, db).Sync(codec.DbRequest{Op: wire.DbOpDbFindCharacter, Name: fmt.Sprintf("bot%d", k)})
		if want, _ := inInstance(parties[k]); err != nil || rep.Character.Zone != want {
			t.Fatalf("%s: bot%d's character %+v (%v), want it claimed by %s", db, k, rep.Character, err, want)
		}
	}
	var wg sync.WaitGroup
	for k, p := range parties {
		for _, bt := range p {
			wg.Add(1)
			go func() {
				defer wg.Done()
				walk(bt.c, 127, 800*time.Millisecond, func() bool { return false })
				walk(bt.c, -127, 15*time.Second, func() bool { return bt.zoneOf() == realms[k].zone })
			}()
		}
	}
	wg.Wait()
	for k, p := range parties {
		for _, bt := range p {
			if z := bt.zoneOf(); z != realms[k].zone {
				t.Fatalf("a bot of realm %s left its instance into %s", realms[k].name, z)
			}
		}
	}

	r.kill(t, "DEV-LOGIN-1")
	for k, rm := range realms {
		c := r.botAt(t, bots+k, "DEV-LOGIN-2", rm.name)
		waitUntil(t, "a new bot in its realm", 10*time.Second, func() bool { return c.Welcomed().Zone == rm.zone })
	}
	for i, c := range conns {
		if st := c.Counters(); st.Disconnect != 0 || st.Reconnects != 0 {
			t.Fatalf("bot %d was let go or reconnected: %+v", i, st)
		}
	}
}
