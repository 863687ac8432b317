// Package dbtest starts db nodes for tests of the roles that use one.
package dbtest

import (
	"testing"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/store"
)

// Start starts a db node with id "DB" on loopback over an in-memory store,
// with the cluster secret, and stops it when the test ends.
func Start(t testing.TB, secret []byte) *db.Node {
	t.Helper()
	d, err := db.Start(db.Config{Node: node.Config{ID: "DB", Secret: secret, Listen: "127.0.0.1:0", Logger: nodetest.Quiet()},
		Store: store.Config{InMemory: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	return d
}

// Peer is how other nodes dial d.
func Peer(d *db.Node) node.Peer { return node.Peer{ID: "DB", Addr: d.Node().Addr()} }
