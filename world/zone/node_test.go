package zone

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/db/dbtest"
	"github.com/gridrealm/gridrealm/world"
)

var secret = []byte("zone-test-secret-0123456789abcdef")

var quiet = nodetest.Quiet

// rig is a real db node, a zone node over it and a node that asks the zone
// what the realm asks it and sends what a gateway sends (standing for
// both).
type rig struct {
	db    *db.Node
	zone  *Node
	realm *node.Node
}

func startRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	return startRigWith(t, cfg, nil)
}

// startRigWith is startRig with a handler for what the zone sends the
// gateway.
func startRigWith(t *testing.T, cfg Config, gateway node.Handler) *rig {
	t.Helper()
	d := dbtest.Start(t, secret)
	cfg.Node = node.Config{ID: "ZONE", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet(), Peers: []node.Peer{dbtest.Peer(d)}}
	cfg.DB = "DB"
	z, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			z.Stop()
		}
	})
	r := nodetest.Start(t, node.Config{ID: "GW", Secret: secret, Handler: gateway, Peers: []node.Peer{{ID: "ZONE", Addr: z.Node().Addr()}}})
	return &rig{db: d, zone: z, realm: r}
}

func (r *rig) character(t *testing.T, name string) uint64 {
	t.Helper()
	c, err := r.db.Store().CreateCharacter("acct-"+name, name, "ZONE", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// enter asks the zone to take a character, as the realm does, and returns
// a channel with the answer.
func (r *rig) enter(t *testing.T, character uint64) <-chan codec.PlayerEntered {
	t.Helper()
	return r.handOff(t, character, 0, 0)
}

// handOff asks the zone to take a character as a zone handing it off
// does, in the party of leader (0: none), joined at joined.
func (r *rig) handOff(t *testing.T, character, leader, joined uint64) <-chan codec.PlayerEntered {
	t.Helper()
	out := make(chan codec.PlayerEntered, 1)
	payload := codec.NewZoneEncoder().HandOffPlayer(character, "GW", leader, joined)
	err := r.realm.Ask("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: payload}, 5*time.Second, func(m node.Message, err error) {
		if err != nil {
			out <- codec.PlayerEntered{Refused: "no answer: " + err.Error()}
			return
		}
		var msg wire.ZoneMessage
		if err := codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg); err != nil || msg.BodyType() != wire.ZoneBodyZonePlayerEntered {
			out <- codec.PlayerEntered{Refused: fmt.Sprintf("bad answer %v %v", msg.BodyType(), err)}
			return
		}
		var w wire.ZonePlayerEntered
		codec.Member(msg.Body, &w)
		out <- codec.ReadPlayerEntered(&w)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func waitLinked(t *testing.T, n *node.Node, peer string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !n.Connected(peer) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never linked", peer)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTwoEntersSpawnOnce: two enters in flight for one character (a player
// who reconnects at once) bring it in once; both askers get the same
// entity.
func TestTwoEntersSpawnOnce(t *testing.T) {
	r := startRig(t, Config{Zone: world.ZoneConfig{Seed: 1, Map: world.MapConfig{Width: 128, Height: 128}}})
	waitLinked(t, r.realm, "ZONE")
	c := r.character(t, "Ann")
	a, b := r.enter(t, c), r.enter(t, c)
	ea, eb := <-a, <-b
	if ea.Refused != "" || eb.Refused != "" {
		t.Fatalf("refused: %q %q", ea.Refused, eb.Refused)
	}
	if ea.NetID != eb.NetID || ea.Epoch != eb.Epoch {
		t.Fatalf("two entities or two claims for one character: %+v / %+v", ea, eb)
	}
	r.zone.Stop()
	if n := r.zone.Zone().Players(); n != 1 {
		t.Fatalf("%d players in the zone, want 1", n)
	}
}

// TestFailedEnterFreesItsSlot: an instance with room for one refuses a
// character the db does not know, with the reason, and its slot is free
// for the next.
func TestFailedEnterFreesItsSlot(t *testing.T) {
	tmpl := &world.InstanceTemplate{Name: "cell", Map: world.MapConfig{Width: 64, Height: 64}, PlayerCap: 1, EntryX: 32, EntryY: 32}
	r := startRig(t, Config{Instance: tmpl})
	waitLinked(t, r.realm, "ZONE")
	if e := <-r.enter(t, 424242); !strings.Contains(e.Refused, "cannot load") {
		t.Fatalf("unknown character: %+v", e)
	}
	c := r.character(t, "Ben")
	if e := <-r.enter(t, c); e.Refused != "" || e.NetID == 0 {
		t.Fatalf("the one slot was not free: %+v", e)
	}
	d := r.character(t, "Cid")
	if e := <-r.enter(t, d); e.Refused != "the zone is full" {
		t.Fatalf("a second player in a cap-1 instance: %+v", e)
	}
}

// TestEnteredCarriesViewRadius: gateways learn the zone's view radius and
// the most entities its players are shown.
func TestEnteredCarriesViewRadius(t *testing.T) {
	r := startRig(t, Config{Zone: world.ZoneConfig{Seed: 1, ViewRadius: 2, MaxVisible: 120, Map: world.MapConfig{Width: 256, Height: 256}}})
	waitLinked(t, r.realm, "ZONE")
	if e := <-r.enter(t, r.character(t, "Dee")); e.ViewRadius != 2 || e.MaxVisible != 120 {
		t.Fatalf("view radius %d, max visible %d; want 2 and 120", e.ViewRadius, e.MaxVisible)
	}
}

// bareNode is a zone node on a small map, not started: what its gateway
// bookkeeping needs.
func bareNode(t *testing.T) (*Node, *world.Zone) {
	t.Helper()
	z, err := world.NewZone(world.ZoneConfig{Seed: 1, Map: world.MapConfig{Width: 128, Height: 128}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Node{zone: z, log: quiet(), gateways: map[string]world.GatewayID{}, players: map[uint64]*player{},
		pending: map[uint64]*pendingEnter{}}, z
}

// TestGatewayIDsAreReused: gateways that come, watch and go give their id
// back, so that more than world.MaxGateways of them over a zone's life
// never run it out.
func TestGatewayIDsAreReused(t *testing.T) {
	zn, _ := bareNode(t)
	cell := func(int) uint32 { return 1<<16 | 1 }
	for i := 0; i < 3*world.MaxGateways; i++ {
		gw := fmt.Sprintf("GW-%d", i)
		zn.subscribe(gw, 1, cell, true)
		if _, ok := zn.gateways[gw]; !ok {
			t.Fatalf("gateway %d got no id", i)
		}
		zn.subscribe(gw, 1, cell, false)
	}
	if len(zn.names) != 1 || len(zn.gateways) != 0 {
		t.Fatalf("%d ids taken, %d held, after gateways that all left", len(zn.names), len(zn.gateways))
	}
	// One that still forwards a player keeps its id.
	zn.subscribe("GW-A", 1, cell, true)
	zn.players[7] = &player{gateway: "GW-A"}
	zn.subscribe("GW-A", 1, cell, false)
	if _, ok := zn.gateways["GW-A"]; !ok {
		t.Fatal("a gateway with a player lost its id")
	}
}

// TestAGatewaysSubscriptionsAreIdempotent: a gateway holds one subscription
// per cell, so a second Subscribe asks for the cell whole again and does not
// count twice, and one Unsubscribe ends it. (Counted, a stray Subscribe left
// the zone a reference ahead, the gateway's next Unsubscribe did not end the
// deltas, and its requests for the cell it had lost brought no full state.)
func TestAGatewaysSubscriptionsAreIdempotent(t *testing.T) {
	zn, z := bareNode(t)
	at := func(int) uint32 { return 1<<16 | 1 }
	nx, _ := z.Cells.Dims()
	cell := int32(1*nx + 1)
	fulls := func() int {
		z.Tick()
		return len(z.Publisher.Output().Full)
	}
	zn.subscribe("GW", 1, at, true)
	if n := fulls(); n != 1 {
		t.Fatalf("subscribed: %d full states", n)
	}
	zn.subscribe("GW", 1, at, true) // the gateway lost its copy
	if n := fulls(); n != 1 || z.Publisher.Watchers(cell) != 1 {
		t.Fatalf("subscribed again: %d full states, %d references", n, z.Publisher.Watchers(cell))
	}
	zn.subscribe("GW", 1, at, false)
	if g := zn.gateways["GW"]; z.Publisher.Holds(g, cell) || z.Publisher.Subscribers(cell) != 0 {
		t.Fatal("one Unsubscribe after two Subscribes left the gateway subscribed")
	}
	zn.subscribe("GW", 1, at, false) // a stray one
	zn.subscribe("GW", 1, at, true)
	if n := fulls(); n != 1 {
		t.Fatalf("subscribed after a stray Unsubscribe: %d full states", n)
	}
}

// TestConfigErrorsNameTheField: impossible values are refused with
// ErrConfig and the field's name.
func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{}, "DB"},
		{Config{DB: "DB", Checkpoint: -time.Second}, "Checkpoint"},
		{Config{DB: "DB", DBTimeout: -1}, "DBTimeout"},
		{Config{DB: "DB", NPCs: -2}, "NPCs"},
	} {
		_, err := Start(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.field) || !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
	}
}

// TestStopSavesEveryPlayer: a zone that stops gracefully saves where its
// players are, so that the next incarnation loses no position.
func TestStopSavesEveryPlayer(t *testing.T) {
	r := startRig(t, Config{Checkpoint: time.Hour, Zone: world.ZoneConfig{Seed: 1, Map: world.MapConfig{Width: 256, Height: 256, Obstacles: -1}}})
	waitLinked(t, r.realm, "ZONE")
	c := r.character(t, "Eve")
	e := <-r.enter(t, c)
	if e.Refused != "" {
		t.Fatal(e.Refused)
	}
	enc := codec.NewZoneEncoder()
	for seq := uint32(1); seq <= 20; seq++ { // a second of walking east
		r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: enc.Inputs([]codec.ZoneInput{{Character: c, Seq: seq, MoveX: 127}})})
		time.Sleep(50 * time.Millisecond)
	}
	r.zone.Stop()
	got, err := r.db.Store().Character(c)
	if err != nil {
		t.Fatal(err)
	}
	if x0 := spatial.DequantizeCoord(e.X); float64(got.X)-x0 < 2 {
		t.Fatalf("saved at x %.1f, entered at %.1f: the walk was not saved", got.X, x0)
	}
}
