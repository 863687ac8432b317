package integration

import (
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/persist/store"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/zone"
)

// testGateway plays a gateway: it mirrors the cells the zone sends.
type testGateway struct {
	mu     sync.Mutex
	mirror *spatial.Mirror
	ticks  int
	at     []codec.PlayerAt // players the zone said changed cells
	err    error
}

func (g *testGateway) HandleMessage(_ *node.Node, m node.Message) {
	var msg wire.ZoneMessage
	if m.Kind != kinds.Zone || codec.DecodeZoneMessage(m.Payload, len(m.Payload), &msg) != nil || msg.BodyType() != wire.ZoneBodyZoneTick {
		return
	}
	var tick wire.ZoneTick
	codec.Member(msg.Body, &tick)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ticks++
	var at wire.ZonePlayerAt
	for i := 0; i < tick.PlayersLength(); i++ {
		tick.Players(&at, i)
		g.at = append(g.at, codec.PlayerAt{NetID: at.NetId(), X: at.X(), Y: at.Y()})
	}
	var cell wire.ZoneCell
	var ch spatial.CellChanges
	for i := 0; i < tick.CellsLength(); i++ {
		tick.Cells(&cell, i)
		if err := codec.ReadCellDelta(cell.DeltaBytes(), 1<<20, &ch); err != nil {
			g.err = err
			return
		}
		if err := g.mirror.Apply(&ch); err != nil && g.err == nil {
			g.err = err
		}
	}
}
func (*testGateway) HandlePeer(*node.Node, node.PeerEvent) {}

// find returns where the mirror shows an entity.
func (g *testGateway) find(id uint32) (x, y float64, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.mirror.Each(func(e *spatial.MirrorEntity, ex, ey float64) {
		if e.ID == id {
			x, y, ok = ex, ey, true
		}
	})
	return
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestZoneNode: a gateway brings a character in, subscribes to its view,
// mirrors it from the zone's ticks, steers it with inputs; the zone saves
// its position with its epoch and lets go once another zone claims it.
func TestZoneNode(t *testing.T) {
	secret := []byte("zone-node-test-secret-0123456789")
	db, err := db.Start(db.Config{Node: node.Config{ID: "DB", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet()},
		Store: store.Config{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Stop()
	zn, err := zone.Start(zone.Config{
		Node: node.Config{ID: "ZONE-1", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet(), Peers: []node.Peer{{ID: "DB", Addr: db.Node().Addr()}}},
		Zone: world.ZoneConfig{Seed: 3, Map: world.MapConfig{Width: 256, Height: 256, Obstacles: -1}},
		DB:   "DB", NPCs: 20, Checkpoint: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer zn.Stop()
	gw := &testGateway{mirror: spatial.NewMirror()}
	gn, err := node.New(node.Config{ID: "GW-1", Secret: secret, Logger: quiet(), Handler: gw,
		Peers: []node.Peer{{ID: "ZONE-1", Addr: zn.Node().Addr()}, {ID: "DB", Addr: db.Node().Addr()}}})
	if err != nil {
		t.Fatal(err)
	}
	gn.Start()
	defer gn.Stop()
	dbc := dbclient.New(gn, "DB", 5*time.Second)
	c, err := dbc.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "acct", Name: "Wanderer", Zone: "ZONE-1", X: 100, Y: 100})
	if err != nil {
		t.Fatal(err)
	}
	char := c.Character.ID

	zenc := codec.NewZoneEncoder()
	entered := make(chan codec.PlayerEntered, 1)
	gn.Ask("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.EnterPlayer(char, "", true)}, 10*time.Second, func(m node.Message, err error) {
		if err != nil {
			t.Error(err)
			return
		}
		var msg wire.ZoneMessage
		codec.DecodeZoneMessage(m.Payload, len(m.Payload), &msg)
		var pe wire.ZonePlayerEntered
		codec.Member(msg.Body, &pe)
		entered <- codec.ReadPlayerEntered(&pe)
	})
	var pe codec.PlayerEntered
	select {
	case pe = <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the zone never answered EnterPlayer")
	}
	if pe.Epoch != 1 || pe.NetID == 0 || pe.CellSize != 32 || pe.MapSeed != 3 {
		t.Fatalf("entered: %+v", pe)
	}
	x0, y0 := spatial.DequantizeCoord(pe.X), spatial.DequantizeCoord(pe.Y)
	if x0 != 100 || y0 != 100 {
		// A checkpoint of another zone or not walkable would move it; here
		// it must come back where the db says.
		t.Fatalf("entered at (%.1f, %.1f), the db says (100, 100)", x0, y0)
	}

	// Subscribe to the player's 3 x 3 view.
	var cells []uint32
	cx, cy := int(x0)/32, int(y0)/32
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			cells = append(cells, uint32(cy+dy)<<16|uint32(cx+dx))
		}
	}
	gn.Send("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.Subscribe(cells)})
	waitUntil(t, "the player in the mirror", 5*time.Second, func() bool { _, _, ok := gw.find(pe.NetID); return ok })

	// Walk east for a second.
	for i := 0; i < 20; i++ {
		gn.Send("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.Inputs([]codec.ZoneInput{{Character: char, MoveX: 127, Seq: uint32(i)}})})
		time.Sleep(50 * time.Millisecond)
	}
	gn.Send("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.Inputs([]codec.ZoneInput{{Character: char, Seq: 99}})})
	waitUntil(t, "the player to walk east", 5*time.Second, func() bool { x, _, _ := gw.find(pe.NetID); return x > x0+3 })
	if gw.err != nil {
		t.Fatalf("mirror: %v", gw.err)
	}
	// The zone told the gateway its player's cell once (on entering): it
	// stayed in cell 3 (96..128 m).
	gw.mu.Lock()
	told := slices.Clone(gw.at)
	gw.mu.Unlock()
	if len(told) != 1 || told[0].NetID != pe.NetID || told[0].X != pe.X || told[0].Y != pe.Y {
		t.Fatalf("players told: %+v, want the player once, where it entered", told)
	}
	// Walking west over the cell edge at 96 m, it is told again.
	for i := 0; i < 40; i++ {
		gn.Send("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.Inputs([]codec.ZoneInput{{Character: char, MoveX: -127, Seq: uint32(100 + i)}})})
		time.Sleep(50 * time.Millisecond)
	}
	gn.Send("ZONE-1", node.Out{Kind: kinds.Zone, Payload: zenc.Inputs([]codec.ZoneInput{{Character: char, Seq: 199}})})
	waitUntil(t, "the zone to tell the player's new cell", 5*time.Second, func() bool {
		gw.mu.Lock()
		defer gw.mu.Unlock()
		n := len(gw.at)
		return n >= 2 && gw.at[n-1].NetID == pe.NetID && spatial.DequantizeCoord(gw.at[n-1].X) < 96
	})

	// The checkpoint reaches the db with the zone's epoch.
	waitUntil(t, "a checkpoint west of the cell edge", 5*time.Second, func() bool {
		r, err := dbc.Sync(codec.DbRequest{Op: wire.DbOpDbLoadCharacter, ID: char})
		return err == nil && r.Character.X < 96 && r.Character.Epoch == 1
	})

	// Another zone claims the character: this zone's next checkpoint is
	// refused, and it lets the character go.
	if _, err := dbc.Sync(codec.DbRequest{Op: wire.DbOpDbClaimCharacter, ID: char, Zone: "ZONE-2"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the zone to let go of the character", 5*time.Second, func() bool { _, _, ok := gw.find(pe.NetID); return !ok })
	r, _ := dbc.Sync(codec.DbRequest{Op: wire.DbOpDbLoadCharacter, ID: char})
	if r.Character.Zone != "ZONE-2" || r.Character.Epoch != 2 {
		t.Fatalf("after the claim: %+v", r.Character)
	}
	if gw.err != nil {
		t.Fatalf("mirror: %v", gw.err)
	}
}

// TestInstanceZoneNode: a zone node running an instance copy has the
// template's NPCs, brings players in at its entry, and once at its cap
// refuses the next character before claiming it, so that the character
// stays with the zone it came from.
func TestInstanceZoneNode(t *testing.T) {
	secret := []byte("instance-zone-test-secret-012345")
	db, err := db.Start(db.Config{Node: node.Config{ID: "DB", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet()},
		Store: store.Config{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Stop()
	tmpl := &world.InstanceTemplate{Name: "crypt", Map: world.MapConfig{Width: 128, Height: 128, Obstacles: -1}, PlayerCap: 1,
		EntryX: 64, EntryY: 64, Spawns: []world.NPCSpawn{{X: 30, Y: 30, Template: 7, Level: 9, Count: 4, Radius: 6}}}
	zn, err := zone.Start(zone.Config{
		Node:     node.Config{ID: "INST-1", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet(), Peers: []node.Peer{{ID: "DB", Addr: db.Node().Addr()}}},
		Zone:     world.ZoneConfig{Seed: 5},
		Instance: tmpl, DB: "DB", Checkpoint: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer zn.Stop()
	gn, err := node.New(node.Config{ID: "GW-1", Secret: secret, Logger: quiet(), Handler: silent{},
		Peers: []node.Peer{{ID: "INST-1", Addr: zn.Node().Addr()}, {ID: "DB", Addr: db.Node().Addr()}}})
	if err != nil {
		t.Fatal(err)
	}
	gn.Start()
	defer gn.Stop()
	dbc := dbclient.New(gn, "DB", 5*time.Second)
	var chars []uint64
	for _, name := range []string{"First", "Second"} {
		c, err := dbc.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "acct-" + name, Name: name, Zone: "OPEN", X: 10, Y: 10})
		if err != nil {
			t.Fatal(err)
		}
		chars = append(chars, c.Character.ID)
	}
	enter := func(char uint64, wait time.Duration) (codec.PlayerEntered, error) {
		type answer struct {
			pe  codec.PlayerEntered
			err error
		}
		ch := make(chan answer, 1)
		gn.Ask("INST-1", node.Out{Kind: kinds.Zone, Payload: codec.NewZoneEncoder().EnterPlayer(char, "", true)}, wait, func(m node.Message, err error) {
			if err != nil {
				ch <- answer{err: err}
				return
			}
			var msg wire.ZoneMessage
			codec.DecodeZoneMessage(m.Payload, len(m.Payload), &msg)
			var pe wire.ZonePlayerEntered
			codec.Member(msg.Body, &pe)
			ch <- answer{pe: codec.ReadPlayerEntered(&pe)}
		})
		a := <-ch
		return a.pe, a.err
	}
	pe, err := enter(chars[0], 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if x, y := spatial.DequantizeCoord(pe.X), spatial.DequantizeCoord(pe.Y); math.Hypot(x-64, y-64) > 8 || pe.MapWidth != 128 {
		t.Fatalf("entered at (%.1f, %.1f) of a %v m map, want within 8 m of the entry (64, 64)", x, y, pe.MapWidth)
	}
	if pe, err := enter(chars[1], 5*time.Second); err != nil || pe.Refused != "the zone is full" {
		t.Fatalf("a full instance answered %+v, %v; want a refusal that says it is full", pe, err)
	}
	for i, want := range []string{"INST-1", "OPEN"} {
		r, err := dbc.Sync(codec.DbRequest{Op: wire.DbOpDbLoadCharacter, ID: chars[i]})
		if err != nil {
			t.Fatal(err)
		}
		if r.Character.Zone != want {
			t.Fatalf("character %d is held by %q, want %q", i, r.Character.Zone, want)
		}
	}
	zn.Stop() // the world is the tick loop's until it stops
	if n := zn.Zone().World.ECS.Stats().Entities.Used; n != 5 {
		t.Fatalf("the instance holds %d entities, want the template's 4 NPCs and the player", n)
	}
}
