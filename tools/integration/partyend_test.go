package integration

import (
	"slices"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
)

// TestAPartyAcrossZones: bot1 joins bot0's party in the west zone and walks
// into the east zone, its place in the party along. Each is told the other
// is in the party in the other zone (the zones learn it from the realm
// node), bot0 as the leader, and stays so through a SIGKILL of the realm
// node. bot0 then logs out in the west: the east
// zone, which never held bot0, learns from the realm node that the party's
// leader has left the realm and tells bot1 it is in no party. (A party
// used to end only in its leader's zone: bot1 stayed in a party of no one
// for as long as it played; and a member was shown only those in its
// zone.)
func TestAPartyAcrossZones(t *testing.T) {
	r := startDevRealm(t, upBase(585), 2, twoZones(nil))
	p := party(t, r, 0, 2)
	crossAll(t, []*client.Conn{p[1].c}, 127, "DEV-ZONE-3")
	crossed := time.Now()
	// Each zone's change is told to the other by the realm node
	// (ZonePartiesChanged): within a second or so, not at the zones' next
	// PartyCheck (5 s).
	waitUntil(t, "bot1 told its party: itself in the east, its leader in the west", 3*time.Second, func() bool {
		m := p[1].c.Party()
		return len(m) == 1 && m[0].ID == p[1].c.Self() &&
			slices.Equal(p[1].c.PartyElsewhere(), []codec.PartyElsewhere{{Name: "bot0", Zone: "DEV-ZONE-1", Leads: true, ZoneName: "Open Fields"}})
	})
	waitUntil(t, "bot0 told its party: itself in the west, bot1 in the east", 3*time.Second, func() bool {
		m := p[0].c.Party()
		return len(m) == 1 && m[0].ID == p[0].c.Self() &&
			slices.Equal(p[0].c.PartyElsewhere(), []codec.PartyElsewhere{{Name: "bot1", Zone: "DEV-ZONE-3", ZoneName: "Open Fields"}})
	})
	t.Logf("each told the other's zone %v after bot1 crossed", time.Since(crossed).Round(time.Millisecond))
	if n := p[1].c.Welcomed().ZoneName; n != "Open Fields" {
		t.Errorf("bot1 welcomed to a zone called %q", n)
	}

	// The realm node is SIGKILLed and comes back knowing no one's party:
	// the zones tell it again at their next checks, and meanwhile no party
	// ends and no member elsewhere is forgotten.
	whole := func() bool {
		return len(p[1].c.Party()) == 1 && len(p[1].c.PartyElsewhere()) == 1 && len(p[0].c.Party()) == 1 && len(p[0].c.PartyElsewhere()) == 1
	}
	r.kill(t, "DEV-REALM-1")
	r.restarted(t, "DEV-REALM-1", 1)
	for end := time.Now().Add(12 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) { // two checks of each zone and more
		if !whole() {
			t.Fatalf("after the realm node's restart: bot0 told %v %v, bot1 %v %v", p[0].c.Party(), p[0].c.PartyElsewhere(), p[1].c.Party(), p[1].c.PartyElsewhere())
		}
	}
	p[0].c.Close()
	left := time.Now()
	waitUntil(t, "bot1 told it is in no party", 3*time.Second, func() bool {
		return len(p[1].c.Party()) == 0 && len(p[1].c.PartyElsewhere()) == 0
	})
	t.Logf("bot1 out of the party %v after its leader logged out", time.Since(left).Round(time.Millisecond))
	if n := r.metric(t, "DEV-ZONE-3", "gridrealm_zone_parties_ended_total"); n != 1 {
		t.Fatalf("the east zone counts %v parties ended by the realm, want 1", n)
	}
}
