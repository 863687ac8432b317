package client

import (
	"testing"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// TestAConnectionKeepsNamesBoundedByWhatItIsShown: Names told are kept by
// id; past namesKept, those of entities the connection is no longer shown
// are forgotten, those it is shown (the ones just told among them) kept.
func TestAConnectionKeepsNamesBoundedByWhatItIsShown(t *testing.T) {
	var c Conn
	snap := codec.Snapshot{Seq: 1, Updates: codec.Updates{Enters: []codec.Spawn{{ID: 7, Kind: wire.EntityKindPlayer}, {ID: 9, Kind: wire.EntityKindNpc}}}}
	if err := c.world.Apply(&snap); err != nil {
		t.Fatal(err)
	}
	tell := func(named ...codec.Named) {
		t.Helper()
		var m wire.ServerMessage
		if err := codec.DecodeServerMessage(codec.NewPlayerEncoder().Names(named), &m); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		c.heldEvent(&m)
		c.mu.Unlock()
	}
	tell(codec.Named{ID: 7, Kind: wire.EntityKindPlayer, Name: "Ann"})
	if n, ok := c.Named(7); !ok || n.Name != "Ann" {
		t.Fatalf("entity 7 named %+v %v", n, ok)
	}
	// Names of entities gone from view pile up to the bound.
	for id := uint32(1000); len(c.names) < namesKept; id++ {
		c.names[id] = codec.Named{ID: id, Name: "gone"}
	}
	tell(codec.Named{ID: 9, Kind: wire.EntityKindNpc, Template: 3, Name: "Wolf"})
	if len(c.names) != 2 {
		t.Fatalf("%d names kept past the bound, want the 2 shown", len(c.names))
	}
	if n, ok := c.Named(9); !ok || n.Name != "Wolf" {
		t.Fatalf("entity 9 named %+v %v", n, ok)
	}
	if _, ok := c.Named(7); !ok {
		t.Fatal("entity 7, shown, forgotten")
	}
}
