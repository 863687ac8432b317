package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/tools/launch"
)

// TestLoginNodeDiesTheOtherLogsIn: the dev realm's two login nodes share
// one login db. An account registered online through one logs in through
// the other; right after one login node is SIGKILLed, players log in
// through the other; a client whose first login address does not answer
// gets in through the next; the realm list shows the realm's population;
// the login db SIGKILLed comes back with every account.
func TestLoginNodeDiesTheOtherLogsIn(t *testing.T) {
	const bots = 4
	r := startDevRealm(t, upBase(960), bots)
	one, two := r.entry("DEV-LOGIN-1").Public, r.entry("DEV-LOGIN-2").Public
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	viaTwo := &client.LoginNodes{Addrs: []string{two}, TLS: r.tls}
	if _, err := viaTwo.Register(ctx, "newcomer", "a fine password"); err != nil {
		t.Fatalf("register through DEV-LOGIN-2: %v", err)
	}
	viaOne := &client.LoginNodes{Addrs: []string{one}, TLS: r.tls}
	if _, err := viaOne.Login(ctx, "newcomer", "a fine password", launch.DevRealm); err != nil {
		t.Fatalf("login through DEV-LOGIN-1 with an account made through DEV-LOGIN-2: %v", err)
	}
	conn := r.bot(t, 0)
	waitUntil(t, "the realm list to show the bot", 10*time.Second, func() bool {
		realms, err := viaOne.Realms(ctx)
		return err == nil && fmt.Sprint(realms) == fmt.Sprint([]codec.RealmInfo{{Name: launch.DevRealm, Players: 1, State: wire.RealmStateUp}})
	})

	r.kill(t, "DEV-LOGIN-1")
	killed := time.Now()
	for i := 1; i < bots; i++ {
		res, err := viaTwo.Login(ctx, fmt.Sprintf("bot%d", i), "bot", launch.DevRealm)
		if err != nil || len(res.Gateways) == 0 {
			t.Fatalf("bot%d through DEV-LOGIN-2 with DEV-LOGIN-1 dead: %+v %v", i, res, err)
		}
	}
	t.Logf("%d logins through DEV-LOGIN-2 done %v after DEV-LOGIN-1 was killed", bots-1, time.Since(killed).Round(time.Millisecond))
	// A login node that never answers (nothing listens there): the
	// client moves on after TryFor.
	silent := &client.LoginNodes{Addrs: []string{"127.0.0.1:9", two}, TLS: r.tls, TryFor: time.Second}
	if _, err := silent.Login(ctx, "newcomer", "a fine password", launch.DevRealm); err != nil {
		t.Fatalf("login with a silent first address: %v", err)
	}
	r.restarted(t, "DEV-LOGIN-1", 1)
	if _, err := viaOne.Login(ctx, "newcomer", "a fine password", launch.DevRealm); err != nil {
		t.Fatalf("login through the restarted DEV-LOGIN-1: %v", err)
	}
	// The login db dies too: logins are told Busy meanwhile (never
	// Denied), and the accounts are all there once it is back.
	r.kill(t, "DEV-LOGIN-DB")
	res, err := viaTwo.Login(ctx, "newcomer", "a fine password", launch.DevRealm)
	if err == nil || res.Status == wire.LoginStatusDenied {
		t.Logf("a login right after the login db's SIGKILL: %v %v (the reviver may have had it back already)", res.Status, err)
	}
	r.restarted(t, "DEV-LOGIN-DB", 1)
	waitUntil(t, "logins again after the login db's restart", 15*time.Second, func() bool {
		_, err := viaTwo.Login(ctx, "newcomer", "a fine password", launch.DevRealm)
		return err == nil
	})
	if _, err := viaOne.Login(ctx, "bot1", "bot", launch.DevRealm); err != nil {
		t.Fatalf("a dev account after the login db's restart: %v", err)
	}
	if c := conn.Counters(); c.Reconnects != 0 || conn.Err() != nil {
		t.Fatalf("a playing bot was disturbed by the login node's crash: %+v %v", c, conn.Err())
	}
}
