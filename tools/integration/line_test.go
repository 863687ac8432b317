package integration

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/store"
	"github.com/gridrealm/gridrealm/tools/launch"
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

// TestALoginNodeDiesWithPlayersInLine: a realm's line lives in its login
// node's memory. Two players wait in DEV-LOGIN-1's line of a full realm,
// a third, who came after them, in DEV-LOGIN-2's; DEV-LOGIN-1 is
// SIGKILLed. Its two players notice, log in again through DEV-LOGIN-2
// with the ticket each was last given, and take their places back ahead
// of the third; as places open, all three get in, in the order they came.
func TestALoginNodeDiesWithPlayersInLine(t *testing.T) {
	r, playing, one, two := fullDevRealm(t, upBase(925))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	early := r.queuedAt(ctx, t, 2, 1, one, two)
	second := r.queuedAt(ctx, t, 3, 2, one, two)
	late := r.queuedAt(ctx, t, 4, 1, two, one)

	r.kill(t, "DEV-LOGIN-1")
	killed := time.Now()
	late.untilPlace(t, 3)
	back := time.Since(killed)
	t.Logf("DEV-LOGIN-1's two players were back in line ahead of the third %v after its SIGKILL", back.Round(time.Millisecond))
	// A SIGKILLed node says nothing over UDP: players near the front of
	// its line, told their place every second, give it up after 4 s of
	// silence, not the 15 s a client gives a login node otherwise.
	if back > 12*time.Second {
		t.Fatalf("DEV-LOGIN-1's players took %v to notice it was gone", back.Round(time.Millisecond))
	}
	if got := r.labelled(t, "DEV-LOGIN-2", `gridrealm_login_realm_line_tickets_total{outcome="kept"}`); got != 2 {
		t.Fatalf("DEV-LOGIN-2 kept %v tickets, want 2", got)
	}
	r.inTurn(ctx, t, playing, early, second, late)
	r.restarted(t, "DEV-LOGIN-1", 1)
}

// TestTwoLoginNodesLinesGoInTheOrderPlayersCame: each login node keeps
// its own line of the full realm; the realm node lets the earliest player
// of either line in as places open, not the player of whichever login
// node asks first.
func TestTwoLoginNodesLinesGoInTheOrderPlayersCame(t *testing.T) {
	r, playing, one, two := fullDevRealm(t, upBase(935))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	first := r.queuedAt(ctx, t, 2, 1, two, one)
	second := r.queuedAt(ctx, t, 3, 1, one, two)
	third := r.queuedAt(ctx, t, 4, 2, two, one)
	r.inTurn(ctx, t, playing, first, second, third)
}

// fullDevRealm starts a dev realm whose two gateways take one player each,
// and fills it: bot0 and bot1 play. It returns them and the two login
// nodes' addresses.
func fullDevRealm(t *testing.T, base int) (r *devRealm, playing []*client.Conn, one, two string) {
	r = startDevRealm(t, base, 5, func(reg *registry.Registry) {
		for i := range reg.Nodes {
			if reg.Nodes[i].Role == registry.RoleGateway {
				reg.Nodes[i].Restart = append(reg.Nodes[i].Restart, "--max-players", "1")
			}
		}
	})
	return r, []*client.Conn{r.bot(t, 0), r.bot(t, 1)}, r.entry("DEV-LOGIN-1").Public, r.entry("DEV-LOGIN-2").Public
}

// queuedAt logs bot i in through the login nodes addrs, in that order, and
// waits until it is told it waits at place in the realm's line.
func (r *devRealm) queuedAt(ctx context.Context, t *testing.T, i int, place uint32, addrs ...string) *lineLogin {
	t.Helper()
	p := r.waitInLine(ctx, i, addrs...)
	p.untilPlace(t, place)
	return p
}

// inTurn opens one place at a time, closing a playing bot's connection,
// and checks that the bots in line get in in the order given, each before
// those after it.
func (r *devRealm) inTurn(ctx context.Context, t *testing.T, playing []*client.Conn, order ...*lineLogin) {
	t.Helper()
	for i, p := range order {
		playing[i%len(playing)].Close() // a place opens
		playing[i%len(playing)] = p.play(ctx, t, r)
		for _, behind := range order[i+1:] {
			select {
			case a := <-behind.done:
				t.Fatalf("bot%d got in (%v) before bot%d, who came first", behind.bot, a.err, p.bot)
			default:
			}
		}
	}
}

// lineLogin is a bot's login waiting in a full realm's line.
type lineLogin struct {
	bot  int
	told chan client.InLine
	done chan lineAnswer
}

type lineAnswer struct {
	res codec.LoginResult
	err error
}

// waitInLine logs bot i in through the login nodes addrs, in that order,
// and returns at once: the login waits in the realm's line.
func (r *devRealm) waitInLine(ctx context.Context, i int, addrs ...string) *lineLogin {
	p := &lineLogin{bot: i, told: make(chan client.InLine, 256), done: make(chan lineAnswer, 1)}
	go func() {
		logins := &client.LoginNodes{Addrs: addrs, TLS: r.tls}
		res, err := logins.LoginInLine(ctx, fmt.Sprintf("bot%d", i), "bot", launch.DevRealm, func(q client.InLine) {
			select {
			case p.told <- q:
			default:
			}
		})
		p.done <- lineAnswer{res, err}
	}()
	return p
}

// untilPlace waits until the bot is told it waits at place want in the
// realm's line.
func (p *lineLogin) untilPlace(t *testing.T, want uint32) {
	t.Helper()
	timeout := time.After(45 * time.Second)
	var heard []client.InLine
	for {
		select {
		case q := <-p.told:
			if q.RealmFull && q.Position == want {
				return
			}
			heard = append(heard, q)
		case a := <-p.done:
			t.Fatalf("bot%d was answered (%+v %v) while waiting for place %d", p.bot, a.res, a.err, want)
		case <-timeout:
			t.Fatalf("bot%d was never told place %d in the realm's line; it was told %+v", p.bot, want, heard)
		}
	}
}

// play waits for the bot's turn and connects it to its gateway.
func (p *lineLogin) play(ctx context.Context, t *testing.T, r *devRealm) *client.Conn {
	t.Helper()
	var a lineAnswer
	select {
	case a = <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("bot%d did not get in after a place opened", p.bot)
	}
	if a.err != nil {
		t.Fatalf("bot%d in line: %v", p.bot, a.err)
	}
	conn, err := client.ConnectWith(ctx, a.res.Gateways[0], r.tls, a.res.SessionHandle, client.Options{Gateways: a.res.Gateways, Realm: launch.DevRealm})
	if err != nil {
		t.Fatalf("bot%d from the line to its gateway: %v", p.bot, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
