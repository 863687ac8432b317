package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/pquic"
)

// TestRealmAndLoginCrashDisconnectNoOne: the realm node's process is
// SIGKILLed and the reviver starts it again, then the login node's. No bot is
// disconnected; the new realm node rebuilds its directory from what the
// gateways report (resume tokens included: a bot of a gateway killed
// afterwards still comes back without logging in); a new bot logs in.
func TestRealmAndLoginCrashDisconnectNoOne(t *testing.T) {
	const bots = 6
	r := startDevRealm(t, upBase(900), bots+1)
	certPEM, err := os.ReadFile(filepath.Join(r.dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tlsConf, _ := pquic.ClientTLS(certPEM)
	connect := func(account string) *client.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := loginRetrying(ctx, r.entry("DEV-LOGIN-1").Public, tlsConf, account)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := client.ConnectWith(ctx, res.Gateways[0], tlsConf, res.SessionHandle, client.Options{Reconnect: true, Gateways: res.Gateways})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	var conns []*client.Conn
	for i := 0; i < bots; i++ {
		conns = append(conns, connect(fmt.Sprintf("bot%d", i)))
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
	fresh := connect(fmt.Sprintf("bot%d", bots))
	if fresh.Welcomed().EntityID == 0 {
		t.Fatal("no entity for a new login")
	}
}
