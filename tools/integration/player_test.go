package integration

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/persist/store"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/gateway"
	"github.com/gridrealm/gridrealm/world/login"
)

// TestPlayerPath: 50 players log in over QUIC and all connect to the
// first gateway with their handles; redirects share them between the two
// gateways (a difference of at most one); the realm places them in the
// zone; they walk, and every player, half of them losing 20% of their
// datagrams, sees every player in view where the zone has it. No snapshot
// goes over its budget, and no honest player is corrected.
func TestPlayerPath(t *testing.T) {
	rc := startCore(t, "player-path-test-secret-01234567",
		world.ZoneConfig{Seed: 9, Map: world.MapConfig{Width: 256, Height: 256, Obstacles: -1}})
	mk, serverTLS, clientTLS, realmPeer, zn := rc.nodeConfig, rc.serverTLS, rc.clientTLS, rc.realmPeer, rc.zone
	// Two gateways that share the players; each knows the other.
	gw2Link := freePort(t)
	gw, err := gateway.Start(gateway.Config{Node: mk("GW-1", realmPeer, node.Peer{ID: "GW-2", Addr: gw2Link}), Realm: "REALM",
		Listen: "127.0.0.1:0", TLS: serverTLS, Siblings: []string{"GW-2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Stop()
	cfg2 := mk("GW-2", realmPeer, node.Peer{ID: "GW-1", Addr: gw.Node().Addr()})
	cfg2.Listen = gw2Link
	gw2, err := gateway.Start(gateway.Config{Node: cfg2, Realm: "REALM", Listen: "127.0.0.1:0", TLS: serverTLS, Siblings: []string{"GW-1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer gw2.Stop()
	waitUntil(t, "the gateways to know each other", 5*time.Second, func() bool { return gw.Node().Connected("GW-2") })
	time.Sleep(200 * time.Millisecond) // a load report each way
	lg, err := login.Start(login.Config{Node: mk("LOGIN", realmPeer), Listen: "127.0.0.1:0", TLS: serverTLS,
		Accounts: store.Config{Dir: t.TempDir()}, PerSecond: 100, Burst: 100,
		Realms: map[string]login.Realm{"dev": {Node: "REALM", Gateways: []string{gw.Addr(), gw2.Addr()}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Stop()

	const players = 50
	var conns []*client.Conn
	for i := 0; i < players; i++ {
		name := fmt.Sprintf("player%d", i)
		if err := lg.CreateAccount(name, "pw-"+name); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := client.Login(ctx, lg.Addr(), clientTLS, name, "pw-"+name, "dev")
		if err != nil {
			t.Fatal(err)
		}
		// Every other player's network loses 20% of the datagrams it gets.
		opts := client.Options{Seed: uint64(i)}
		if i%2 == 1 {
			opts.DropRate = 0.2
		}
		c, err := client.ConnectWith(ctx, res.Gateways[0], clientTLS, res.SessionHandle, opts)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.Welcome.EntityID == 0 || c.Welcome.Zone != "ZONE-1" || c.Welcome.TickHz != 20 {
			t.Fatalf("welcome %+v", c.Welcome)
		}
		conns = append(conns, c)
	}
	waitUntil(t, "every player at a gateway", 5*time.Second, func() bool { return gw.Players()+gw2.Players() == players })
	if d := gw.Players() - gw2.Players(); d > 1 || d < -1 {
		t.Fatalf("players not balanced: %d and %d", gw.Players(), gw2.Players())
	}
	placed := metric(t, gw.Node(), "gridrealm_gateway_connects_total", "kind", "new", "outcome", "Ok") +
		metric(t, gw2.Node(), "gridrealm_gateway_connects_total", "kind", "new", "outcome", "Ok")
	if placed != players {
		t.Fatalf("the gateways count %.0f new sessions placed, want %d", placed, players)
	}

	// Everyone walks east for a second, then stands still, steering as a
	// client should (Steer, every tick): an input goes on a change of
	// intent, and otherwise ten times a second with the acknowledgement of
	// the newest snapshot. Half the players lose 20% of their datagrams;
	// everything below must still converge.
	var sent int
	for k := 0; k < 40; k++ {
		in := codec.Input{MoveX: 127}
		if k >= 20 {
			in = codec.Input{}
		}
		for _, c := range conns {
			if ok, err := c.Steer(in, 0); ok && err == nil {
				sent++
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	received := metric(t, gw.Node(), "gridrealm_gateway_inputs_total") + metric(t, gw2.Node(), "gridrealm_gateway_inputs_total")
	if sent < 2*players || sent > 40*players*6/10 || received < float64(sent)*0.9 {
		t.Fatalf("steering sent %d inputs for %d players' 40 ticks (the gateways received %.0f): want fewer than one a tick, at least the 2 changes", sent, players, received)
	}
	for i, c := range conns {
		c.View(func(w *client.World) {
			self, ok := w.Entity(c.Welcome.EntityID)
			if !ok {
				t.Fatalf("player %d does not see itself (%d entities)", i, w.Len())
			}
			if start := spatial.DequantizeCoord(c.Welcome.X); self.X < start+3 {
				t.Fatalf("player %d did not walk east: %.2f from %.2f", i, self.X, start)
			}
		})
	}

	if n := gw.Corrections() + gw2.Corrections(); n != 0 {
		t.Fatalf("%d corrections of honest players", n)
	}
	if n := gw.OverBudget() + gw2.OverBudget(); n != 0 {
		t.Fatalf("%d snapshots over their budget", n)
	}
	// The gateways' /metrics say the same.
	for _, g := range []*gateway.Node{gw, gw2} {
		if n := metric(t, g.Node(), "gridrealm_gateway_snapshots_over_budget_total"); n != 0 {
			t.Fatalf("%s's metrics: %v snapshots over budget", g.Node().ID(), n)
		}
		if metric(t, g.Node(), "gridrealm_gateway_snapshots_total") == 0 || metric(t, g.Node(), "gridrealm_gateway_players") < players/2-1 {
			t.Fatalf("%s's metrics show no snapshots or too few players", g.Node().ID())
		}
	}
	for i, c := range conns { // and as the players measured them
		if n := c.Counters().OverBudget; n != 0 {
			t.Fatalf("player %d received %d datagrams over its budget", i, n)
		}
	}
	// The sends of a tick are spread over most of it, not one burst: the
	// pacer waits for each of its 8 groups' turn, 5 ms apart at 20 Hz.
	if last, _ := gw.Pacing(); last < 35*time.Millisecond {
		t.Fatalf("a tick's snapshots went out within %v", last)
	}
	if d := conns[1].Counters().Dropped; d == 0 {
		t.Fatal("the drop shim dropped nothing")
	}

	// The zone's truth, read once it stopped ticking: every player a client
	// sees stands where the zone has it.
	zn.Stop()
	truth := map[uint32][2]float32{}
	q := generic.NewFilter2[systems.Replica, systems.Position]().Query(&zn.Zone().World.ECS)
	for q.Next() {
		r, p := q.Get()
		truth[r.NetID] = [2]float32{p.X, p.Y}
	}
	// Every entity a client sees stands where the zone has it, and every
	// player in the viewer's 3 x 3 cells is seen.
	cellOf := func(x, y float64) (int, int) { return int(x) / 32, int(y) / 32 }
	for i, c := range conns {
		c.View(func(w *client.World) {
			self, _ := w.Entity(c.Welcome.EntityID)
			vx, vy := cellOf(self.X, self.Y)
			w.Each(func(e client.Entity) {
				p, ok := truth[e.ID]
				if !ok || math.Abs(e.X-float64(p[0])) > 1.0/256 || math.Abs(e.Y-float64(p[1])) > 1.0/256 {
					t.Fatalf("player %d sees %d at (%.4f, %.4f), the zone has (%.4f, %.4f) (in the zone: %v)", i, e.ID, e.X, e.Y, p[0], p[1], ok)
				}
			})
			for _, other := range conns {
				p := truth[other.Welcome.EntityID]
				ox, oy := cellOf(float64(p[0]), float64(p[1]))
				if ox >= vx-1 && ox <= vx+1 && oy >= vy-1 && oy <= vy+1 {
					if _, ok := w.Entity(other.Welcome.EntityID); !ok {
						t.Fatalf("player %d does not see player %d in its view", i, other.Welcome.EntityID)
					}
				}
			}
		})
	}
}
