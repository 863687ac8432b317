package realm

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/zone"
)

// fleet is a PoolAllocator that starts a real instance node (in this
// process) for each allocation, as an Agones fleet hands out game servers.
type fleet struct {
	t     *testing.T
	db    node.Peer
	realm func() string // the realm node's address
	mu    sync.Mutex
	nodes []*zone.Node
}

func (f *fleet) Allocate(ctx context.Context) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("instances-%d", len(f.nodes)+1)
	crypt := &world.InstanceTemplate{Name: "crypt", Map: world.MapConfig{Width: 64, Height: 64, Obstacles: -1}, PlayerCap: 5, EntryX: 32, EntryY: 32}
	z, err := zone.Start(zone.Config{Node: node.Config{ID: id, Secret: secret, Listen: "127.0.0.1:0", Logger: quiet(), Peers: []node.Peer{f.db}},
		DB: f.db.ID, Zone: world.ZoneConfig{Name: id, Seed: 1, Map: world.MapConfig{Width: 64, Height: 64, Obstacles: -1}},
		Pool: &zone.PoolConfig{Templates: map[string]*world.InstanceTemplate{"crypt": crypt}, ReleaseAfter: 300 * time.Millisecond,
			Realms: []zone.Neighbour{{Zone: "REALM", Addr: f.realm()}}}})
	if err != nil {
		return "", "", err
	}
	f.t.Cleanup(z.Stop)
	f.nodes = append(f.nodes, z)
	return id, z.Node().Addr(), nil
}

// ask is an open zone's request for an instance.
func ask(t *testing.T, from *node.Node, template string) codec.InstanceGranted {
	t.Helper()
	out := make(chan codec.InstanceGranted, 1)
	err := from.Ask("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().InstanceRequest(template, 2)}, 20*time.Second,
		func(m node.Message, err error) {
			var msg wire.RealmMessage
			if err != nil || codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.RealmBodyRealmInstanceGranted {
				out <- codec.InstanceGranted{Reason: fmt.Sprint("no answer: ", err)}
				return
			}
			var g wire.RealmInstanceGranted
			codec.Member(msg.Body, &g)
			out <- codec.ReadInstanceGranted(&g)
		})
	if err != nil {
		t.Fatal(err)
	}
	return <-out
}

// TestAllocatorFindsInstanceNodes: with no instance node of its own, the
// realm takes one from its Allocator per copy (within its caps), has it
// load the copy with the realm's db and exit, and forgets it once it
// releases the copy.
func TestAllocatorFindsInstanceNodes(t *testing.T) {
	var realmAddr string
	var f *fleet
	r := startRig(t, ecs.RealClock{}, func(c *Config) {
		f = &fleet{t: t, db: c.Node.Peers[0], realm: func() string { return realmAddr }}
		c.Allocator, c.MaxInstances = f, 2
		c.Zones["ASKER"] = "127.0.0.1:1" // an open zone, as far as the realm knows
		c.InstanceLoad = codec.LoadInstance{DB: "DB", DBAddr: c.Node.Peers[0].Addr, ExitZone: "ZONE", ExitAddr: c.Zones["ZONE"], ExitX: 10, ExitY: 10}
	})
	realmAddr = r.realm.Node().Addr()
	asker := nodetest.Start(t, node.Config{ID: "ASKER", Secret: secret, Peers: []node.Peer{{ID: "REALM", Addr: realmAddr}}})
	first, second := ask(t, asker, "crypt"), ask(t, asker, "crypt")
	if first.Node != "instances-1" || second.Node != "instances-2" || first.EntryX != 32 || first.Addr == "" {
		t.Fatalf("granted %+v and %+v", first, second)
	}
	if third := ask(t, asker, "crypt"); third.Node != "" || third.Reason == "" || len(f.nodes) != 2 {
		t.Fatalf("past MaxInstances: %+v, %d allocated", third, len(f.nodes))
	}
	// Nobody enters: each copy is released after 300 ms and its node
	// forgotten (an Agones game server shuts down then).
	deadline := time.Now().Add(10 * time.Second)
	for len(r.realm.PoolState()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("allocated nodes still in the pool: %v", r.realm.PoolState())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r.realm.Node().Connected("instances-1") {
		t.Fatal("the realm still links to a released game server")
	}
}
