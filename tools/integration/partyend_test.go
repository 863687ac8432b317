package integration

import (
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
)

// TestAPartyEndsInEveryZoneWithItsLeader: bot1 joins bot0's party in the
// west zone and walks into the east zone, its place in the party along;
// bot0 then logs out in the west. The east zone, which never held bot0,
// learns from the realm node that the party's leader has left the realm
// and tells bot1 it is in no party. (A party used to end only in its
// leader's zone: bot1 stayed in a party of no one for as long as it
// played.)
func TestAPartyEndsInEveryZoneWithItsLeader(t *testing.T) {
	r := startDevRealm(t, upBase(585), 2, twoZones(nil))
	p := party(t, r, 0, 2)
	crossAll(t, []*client.Conn{p[1].c}, 127, "DEV-ZONE-3")
	waitUntil(t, "bot1 told its party in the east zone: itself, its leader elsewhere", 5*time.Second, func() bool {
		m := p[1].c.Party()
		return len(m) == 1 && m[0].ID == p[1].c.Self()
	})
	time.Sleep(6 * time.Second) // a party check or more, its leader still in the realm
	if m := p[1].c.Party(); len(m) != 1 {
		t.Fatalf("bot1's party, its leader still playing in the other zone: %v", m)
	}
	p[0].c.Close()
	left := time.Now()
	waitUntil(t, "bot1 told it is in no party", 15*time.Second, func() bool { return len(p[1].c.Party()) == 0 })
	t.Logf("bot1 out of the party %v after its leader logged out", time.Since(left).Round(time.Millisecond))
	if n := r.metric(t, "DEV-ZONE-3", "gridrealm_zone_parties_ended_total"); n != 1 {
		t.Fatalf("the east zone counts %v parties ended by the realm, want 1", n)
	}
}
