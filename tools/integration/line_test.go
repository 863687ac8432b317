package integration

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/persist/store"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/gateway"
)

// TestAFullRealmLetsItsLineIn: a realm whose one gateway holds its most
// players is full; a player logging in then waits in the realm's line,
// told its place, instead of being sent away to retry, and plays as soon
// as a player leaves. Real QUIC and TCP on loopback, the nodes in this
// process.
func TestAFullRealmLetsItsLineIn(t *testing.T) {
	c := startCore(t, "line-test-secret-0123456789abcdef", world.ZoneConfig{Seed: 5, Map: world.MapConfig{Width: 128, Height: 128, Obstacles: -1}})
	gw, lg := c.startFrontWith(t, func(g *gateway.Config) { g.MaxPlayers = 2 })
	first := c.player(t, lg, gw.Addr(), "p0")
	c.player(t, lg, gw.Addr(), "p1")
	if err := lg.CreateAccount("p2", "pw"); err != nil && !errors.Is(err, store.ErrExists) {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	told := make(chan client.InLine, 64)
	type answer struct {
		handle []byte
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		logins := &client.LoginNodes{Addrs: []string{lg.Addr()}, TLS: c.clientTLS}
		res, err := logins.LoginInLine(ctx, "p2", "pw", "dev", func(p client.InLine) { told <- p })
		done <- answer{res.SessionHandle, err}
	}()
	select {
	case p := <-told:
		if !p.RealmFull || p.Position != 1 {
			t.Fatalf("told %+v: want place 1 in the full realm's line", p)
		}
	case a := <-done:
		t.Fatalf("a login to a full realm was answered (%v) instead of waiting in its line", a.err)
	case <-ctx.Done():
		t.Fatal("a login to a full realm was never told its place")
	}
	left := time.Now()
	first.Close()
	a := <-done
	if a.err != nil {
		t.Fatalf("the player in line after a place opened: %v", a.err)
	}
	t.Logf("in %v after a player left", time.Since(left).Round(time.Millisecond))
	conn, err := client.Connect(ctx, gw.Addr(), c.clientTLS, a.handle)
	if err != nil {
		t.Fatalf("connect from the line: %v", err)
	}
	defer conn.Close()
	waitUntil(t, "p1 and p2 in the zone", 10*time.Second, func() bool {
		return fmt.Sprint(metric(t, c.zone.Node(), "gridrealm_zone_players")) == "2"
	})
}
