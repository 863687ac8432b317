package integration

import (
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
)

// TestRealmAndLoginCrashDisconnectNoOne: the realm node's process is
// SIGKILLed and the reviver starts it again, then the login node's. No bot is
// disconnected; the new realm node rebuilds its directory from what the
// gateways report (resume tokens included: a bot of a gateway killed
// afterwards still comes back without logging in); a new bot logs in.
func TestRealmAndLoginCrashDisconnectNoOne(t *testing.T) {
	const bots = 6
	r := startDevRealm(t, upBase(900), bots+1)
	var conns []*client.Conn
	for i := 0; i < bots; i++ {
		conns = append(conns, r.bot(t, i))
	}
	waitUntil(t, "the realm to place every bot", 10*time.Second, func() bool {
		return r.metric(t, "DEV-REALM-1", "gridrealm_realm_players") == bots
	})
	for _, id := range []string{"DEV-REALM-1", "DEV-LOGIN-1"} {
		r.kill(t, id)
		r.restarted(t, id, 1)
	}
	waitUntil(t, "the new realm node to rebuild its directory", 10*time.Second, func() bool {
		return r.metric(t, "DEV-REALM-1", "gridrealm_realm_players") == bots
	})
	for i, c := range conns {
		if st := c.Counters(); st.Reconnects != 0 || c.Err() != nil {
			t.Fatalf("bot %d was disconnected: %+v %v", i, st, c.Err())
		}
	}
	// The resume tokens came back with the directory: a gateway's bots
	// come back through the other one.
	victim := r.entry("DEV-GATEWAY-1").Public
	var onVictim []*client.Conn
	for _, c := range conns {
		if c.Gateway() == victim {
			onVictim = append(onVictim, c)
		}
	}
	r.kill(t, "DEV-GATEWAY-1")
	waitUntil(t, "the killed gateway's bots to come back", 15*time.Second, func() bool {
		for _, c := range onVictim {
			if c.Counters().Reconnects != 1 {
				return false
			}
		}
		return true
	})
	// And a new player logs in at the new login node, and plays through
	// whichever gateway answers.
	fresh := r.bot(t, bots)
	if fresh.Welcomed().EntityID == 0 {
		t.Fatal("no entity for a new login")
	}
}
