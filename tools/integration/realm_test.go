package integration

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/world"
)

type silent struct{}

func (silent) HandleMessage(*node.Node, node.Message) {}
func (silent) HandlePeer(*node.Node, node.PeerEvent)  {}

// TestRealmDirectory: a session from the login node connects a player once
// through a gateway; the realm creates the account's character, the zone
// claims and loads it and takes the gateway's inputs; when the player
// leaves, the zone saves and drops it; the next session finds the same
// character.
func TestRealmDirectory(t *testing.T) {
	rc := startCore(t, "realm-directory-test-secret-0123",
		world.ZoneConfig{Seed: 5, Map: world.MapConfig{Width: 256, Height: 256, Obstacles: -1}})
	realmPeer, zonePeer, dbPeer, zn, rn := rc.realmPeer, rc.zonePeer, rc.dbPeer, rc.zone, rc.realm
	mk := func(id string, h node.Handler, peers ...node.Peer) node.Config {
		cfg := rc.nodeConfig(id, peers...)
		cfg.Handler = h
		return cfg
	}
	login, _ := node.New(mk("LOGIN", silent{}, realmPeer))
	login.Start()
	defer login.Stop()
	gw := &testGateway{mirror: spatial.NewMirror()}
	gn, _ := node.New(mk("GW-1", gw, realmPeer, zonePeer, dbPeer))
	gn.Start()
	defer gn.Stop()

	session := func(account string, ttl time.Duration) []byte {
		h := make([]byte, 32)
		rand.Read(h)
		sc := codec.SessionCreated{Handle: h, Account: account, ExpiresUnixMs: time.Now().Add(ttl).UnixMilli()}
		login.Send("REALM", node.Out{Kind: kinds.Realm, Payload: codec.NewRealmEncoder().SessionCreated(&sc)})
		return h
	}
	connect := func(h []byte) codec.RealmConnected {
		t.Helper()
		got := make(chan codec.RealmConnected, 1)
		gn.Ask("REALM", node.Out{Kind: kinds.Realm, Payload: codec.NewRealmEncoder().Connect(h)}, 10*time.Second, func(m node.Message, err error) {
			if err != nil {
				t.Error(err)
				got <- codec.RealmConnected{}
				return
			}
			var msg wire.RealmMessage
			codec.DecodeRealmMessage(m.Payload, len(m.Payload), &msg)
			var w wire.RealmConnected
			codec.Member(msg.Body, &w)
			got <- codec.ReadRealmConnected(&w)
		})
		return <-got
	}

	// The gateway asks at once: the session may reach the realm second.
	h := session("carol", time.Minute)
	c := connect(h)
	if c.Status != wire.RealmStatusOk || c.Account != "carol" || c.Zone != "ZONE-1" || c.ZoneAddr != zn.Node().Addr() ||
		c.Entered.NetID == 0 || c.Entered.Epoch != 1 || c.Entered.CellSize != 32 {
		t.Fatalf("connected: %+v", c)
	}
	if again := connect(h); again.Status != wire.RealmStatusInvalidSession {
		t.Fatalf("a handle used twice: %+v", again)
	}
	if r := connect(make([]byte, 32)); r.Status != wire.RealmStatusInvalidSession {
		t.Fatalf("an unknown handle: %+v", r)
	}
	stale := session("carol", -time.Second)
	if r := connect(stale); r.Status != wire.RealmStatusInvalidSession {
		t.Fatalf("an expired handle: %+v", r)
	}
	dir := rn.Directory()
	if len(dir) != 1 || dir[0].Account != "carol" || dir[0].Gateway != "GW-1" || dir[0].Zone != "ZONE-1" {
		t.Fatalf("directory: %+v", dir)
	}

	// The gateway watches the character and moves it.
	x0, y0 := spatial.DequantizeCoord(c.Entered.X), spatial.DequantizeCoord(c.Entered.Y)
	cx, cy := int(x0)/32, int(y0)/32
	var cells []uint32
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			if cx+dx >= 0 && cy+dy >= 0 {
				cells = append(cells, uint32(cy+dy)<<16|uint32(cx+dx))
			}
		}
	}
	zenc := codec.NewZoneEncoder()
	gn.Send("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.Subscribe(cells)})
	waitUntil(t, "the character in the mirror", 5*time.Second, func() bool { _, _, ok := gw.find(c.Entered.NetID); return ok })
	char := c.Entered.Character
	for i := 0; i < 10; i++ {
		gn.Send("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.Inputs([]codec.ZoneInput{{Character: char, MoveY: 127}})})
		time.Sleep(50 * time.Millisecond)
	}
	gn.Send("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.Inputs([]codec.ZoneInput{{Character: char}})})
	waitUntil(t, "the character to walk north", 5*time.Second, func() bool { _, y, _ := gw.find(c.Entered.NetID); return y > y0+1 })

	// The player leaves: the zone saves the character and drops it.
	gn.Send("REALM", node.Out{Kind: kinds.Realm, Payload: codec.NewRealmEncoder().PlayerLeft(char)})
	waitUntil(t, "the character to leave the zone", 5*time.Second, func() bool { _, _, ok := gw.find(c.Entered.NetID); return !ok })
	dbc := dbclient.New(gn, "DB", 5*time.Second)
	waitUntil(t, "the saved position", 5*time.Second, func() bool {
		r, err := dbc.Sync(codec.DbRequest{Op: wire.DbOpDbLoadCharacter, ID: char})
		return err == nil && r.Character.Y > float32(y0)+1
	})
	if len(rn.Directory()) != 0 {
		t.Fatalf("directory after leaving: %+v", rn.Directory())
	}

	// The next session finds the same character, claimed anew.
	h2 := session("carol", time.Minute)
	c2 := connect(h2)
	if c2.Status != wire.RealmStatusOk || c2.Entered.Character != char || c2.Entered.Epoch != 2 {
		t.Fatalf("second connect: %+v", c2)
	}
	if gw.err != nil {
		t.Fatalf("mirror: %v", gw.err)
	}
}
