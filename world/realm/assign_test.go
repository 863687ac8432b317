package realm

import (
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/wire"
)

// TestSessionsGoToTheLeastLoadedGateway: the realm node answers each new
// session with the gateway of least load, counting the players it sent
// each since its last report, and forgets a gateway whose report is stale.
func TestSessionsGoToTheLeastLoadedGateway(t *testing.T) {
	clock := ecs.NewManualClock(time.Unix(1_000_000, 0))
	r := startRig(t, clock)
	gw2 := nodetest.Start(t, node.Config{ID: "GW2", Secret: secret, Peers: []node.Peer{{ID: "REALM", Addr: r.realm.Node().Addr()}}})
	report := func(n *node.Node, players uint32, public string) {
		t.Helper()
		if err := n.Send("REALM", node.Out{Kind: kinds.Gateway, Priority: node.Control, Payload: codec.GatewayLoad(players, public, false, -1)}); err != nil {
			t.Fatal(err)
		}
	}
	assigned := func(account string) string { return assignOne(t, r, clock, account) }
	if g := assigned("a0"); g != "" {
		t.Fatalf("no gateway has reported, yet %q was assigned", g)
	}
	report(r.peer, 3, "gw1:1")
	report(gw2, 1, "gw2:1")
	waitLoads(t, r.realm, 2)
	var got []string
	for i := 1; i <= 4; i++ {
		got = append(got, assigned("a"+string(rune('0'+i))))
	}
	// gw2 has 1 and gw1 3: gw2 gets two, then they alternate (ties to the lower id).
	if want := []string{"gw2:1", "gw2:1", "gw1:1", "gw2:1"}; !slices.Equal(got, want) {
		t.Fatalf("assigned %v, want %v", got, want)
	}
	clock.Advance(loadStale + time.Second)
	report(r.peer, 50, "gw1:1")
	time.Sleep(100 * time.Millisecond)
	if g := assigned("a9"); g != "gw1:1" {
		t.Fatalf("with gw2's report stale, assigned %q, want gw1:1", g)
	}

	// Full gateways get no new player; when every one is full, the
	// session is refused with a retry hint and not taken.
	sendFull := func(n *node.Node, public string) {
		t.Helper()
		if err := n.Send("REALM", node.Out{Kind: kinds.Gateway, Priority: node.Control, Payload: codec.GatewayLoad(1, public, true, -1)}); err != nil {
			t.Fatal(err)
		}
	}
	report(gw2, 80, "gw2:1")
	sendFull(r.peer, "gw1:1")
	time.Sleep(100 * time.Millisecond)
	if g := assigned("b1"); g != "gw2:1" {
		t.Fatalf("with gw1 full, assigned %q, want gw2:1 (more players, but room)", g)
	}
	sendFull(gw2, "gw2:1")
	time.Sleep(100 * time.Millisecond)
	if g := assigned("bz"); g != "" {
		t.Fatalf("every gateway full, yet %q was assigned", g)
	}
	var key [32]byte
	key[0] = 'z'
	r.realm.mu.Lock()
	_, taken := r.realm.sessions[key]
	r.realm.mu.Unlock()
	if taken {
		t.Fatal("a refused session was taken")
	}
	var m dto.Metric
	if r.realm.refusedFull.Write(&m); m.GetCounter().GetValue() != 1 {
		t.Fatalf("refusals counted: %v", m.GetCounter().GetValue())
	}
}

// assignOne hands the realm node a login's session, as a login node does,
// and returns the gateway assigned ("" when none).
func assignOne(t *testing.T, r *rig, clock *ecs.ManualClock, account string) string {
	t.Helper()
	return offer(t, r.peer, clock, account, time.Time{})
}

// offer hands the realm node a session from login node, of a player in
// its line since then (zero: not in a line), and returns the gateway
// assigned ("" when none).
func offer(t *testing.T, login *node.Node, clock *ecs.ManualClock, account string, since time.Time) string {
	t.Helper()
	out := make(chan string, 1)
	sc := codec.SessionCreated{Handle: make([]byte, codec.SessionHandleSize), Account: account, ExpiresUnixMs: clock.Now().Add(time.Minute).UnixMilli()}
	copy(sc.Handle, account)
	if !since.IsZero() {
		sc.WaitingSinceUnixMs = since.UnixMilli()
	}
	err := login.Ask("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().SessionCreated(&sc)}, 5*time.Second,
		func(m node.Message, err error) {
			var msg wire.RealmMessage
			if err != nil || codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.RealmBodyRealmSessionAssigned {
				out <- "error"
				return
			}
			var a wire.RealmSessionAssigned
			codec.Member(msg.Body, &a)
			out <- string(a.Gateway())
		})
	if err != nil {
		t.Fatal(err)
	}
	return <-out
}

// TestTheEarliestInAnyLoginNodesLineGoesFirst: two login nodes each keep a
// line of the full realm. When a place opens, the login node that asks
// first with a later player is refused, and the earlier player of the
// other line gets the place; a line whose login node stopped offering
// (its head not offered for headFresh) no longer holds the others back.
func TestTheEarliestInAnyLoginNodesLineGoesFirst(t *testing.T) {
	clock := ecs.NewManualClock(time.Unix(1_000_000, 0))
	r := startRig(t, clock)
	one := nodetest.Start(t, node.Config{ID: "LOGIN-1", Secret: secret, Peers: []node.Peer{{ID: "REALM", Addr: r.realm.Node().Addr()}}})
	two := nodetest.Start(t, node.Config{ID: "LOGIN-2", Secret: secret, Peers: []node.Peer{{ID: "REALM", Addr: r.realm.Node().Addr()}}})
	report := func(room int32) {
		t.Helper()
		if err := r.peer.Send("REALM", node.Out{Kind: kinds.Gateway, Priority: node.Control, Payload: codec.GatewayLoad(9, "gw1:1", room == 0, room)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	report(0)
	waitLoads(t, r.realm, 1)
	early, late := clock.Now().Add(-time.Minute), clock.Now().Add(-30*time.Second)
	if g := offer(t, one, clock, "early", early); g != "" {
		t.Fatalf("a full realm took %q", g)
	}
	if g := offer(t, two, clock, "late", late); g != "" {
		t.Fatalf("a full realm took %q", g)
	}
	report(1) // a place opens
	if g := offer(t, two, clock, "late", late); g != "" {
		t.Fatalf("LOGIN-2's later player took the place (%q) from LOGIN-1's earlier one", g)
	}
	if g := offer(t, two, clock, "direct", time.Time{}); g != "" {
		t.Fatalf("a login not in any line took the place (%q) from LOGIN-1's earlier one", g)
	}
	if g := offer(t, one, clock, "early", early); g != "gw1:1" {
		t.Fatalf("the earliest player: assigned %q", g)
	}
	// LOGIN-1's head is in: the next place is LOGIN-2's at once, not held
	// for a head that no longer waits.
	report(2)
	if g := offer(t, two, clock, "late", late); g != "gw1:1" {
		t.Fatalf("LOGIN-2's player, the earliest left: assigned %q", g)
	}
	// Both lines wait again, LOGIN-1's head the earlier; then LOGIN-1 goes quiet.
	offer(t, one, clock, "next", late.Add(time.Second))
	offer(t, two, clock, "later", late.Add(2*time.Second))
	report(3)
	if g := offer(t, two, clock, "later", late.Add(2*time.Second)); g != "" {
		t.Fatalf("LOGIN-2's later player took the place (%q) from LOGIN-1's earlier one", g)
	}
	clock.Advance(headFresh + 100*time.Millisecond) // LOGIN-1 stopped offering
	report(3)
	if g := offer(t, two, clock, "later", late.Add(2*time.Second)); g != "gw1:1" {
		t.Fatalf("held back by the head of a line no longer offered: assigned %q", g)
	}
	var m dto.Metric
	if r.realm.yielded.Write(&m); m.GetCounter().GetValue() != 3 {
		t.Fatalf("sessions that gave way while there was room: %v, want 3", m.GetCounter().GetValue())
	}
}

// TestACappedGatewayGetsNoMoreThanItsRoom: a gateway one player short of
// its cap gets one session, and no other until that player connects and
// its next report shows it (or the session is given up on): the sessions
// sent its way count against its room between reports, however many
// logins come at once.
func TestACappedGatewayGetsNoMoreThanItsRoom(t *testing.T) {
	clock := ecs.NewManualClock(time.Unix(1_000_000, 0))
	r := startRig(t, clock)
	report := func(players uint32, room int32) {
		t.Helper()
		if err := r.peer.Send("REALM", node.Out{Kind: kinds.Gateway, Priority: node.Control, Payload: codec.GatewayLoad(players, "gw1:1", false, room)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	report(3, 1)
	waitLoads(t, r.realm, 1)
	if g := assignOne(t, r, clock, "first"); g != "gw1:1" {
		t.Fatalf("a gateway with room for one: assigned %q", g)
	}
	if g := assignOne(t, r, clock, "second"); g != "" {
		t.Fatalf("a second session to a gateway with room for one: %q", g)
	}
	report(3, 1) // the first player has not connected yet
	if g := assignOne(t, r, clock, "second"); g != "" {
		t.Fatalf("before the first player connected: %q", g)
	}
	clock.Advance(pendingFor + time.Second) // it never will
	report(3, 1)
	if g := assignOne(t, r, clock, "third"); g != "gw1:1" {
		t.Fatalf("once the first session was given up on: assigned %q", g)
	}
	var h [32]byte
	copy(h[:], "third")
	r.realm.mu.Lock()
	r.realm.connected(h)
	r.realm.mu.Unlock()
	report(4, 0) // it connected: the report counts it
	r.realm.mu.Lock()
	pending := len(r.realm.loads["GW"].pending)
	r.realm.mu.Unlock()
	if pending != 0 {
		t.Fatalf("%d sessions still pending after the report that counts them", pending)
	}
}

func waitLoads(t *testing.T, r *Node, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		k := len(r.loads)
		r.mu.Unlock()
		if k >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d gateway loads heard, want %d", k, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
