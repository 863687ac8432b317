package launch

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gridrealm/gridrealm/net/registry"
)

// TestLoadOrCreateBringsAnOldRegistryUpToDate: a registry written by an
// older realm up (no instance zone, an older login command, another
// binary) gets this version's commands and nodes, and keeps its
// addresses, data and secret.
func TestLoadOrCreateBringsAnOldRegistryUpToDate(t *testing.T) {
	dir := t.TempDir()
	old, err := DevRegistry(dir, "/old/realm", 23000)
	if err != nil {
		t.Fatal(err)
	}
	old.Nodes = slices.DeleteFunc(old.Nodes, func(e registry.Entry) bool { return e.ID == "DEV-ZONE-2" })
	for i := range old.Nodes {
		if old.Nodes[i].ID == "DEV-LOGIN-1" {
			old.Nodes[i].Restart = old.Nodes[i].Restart[:6] // before the login limits
		}
	}
	secret := append([]byte(nil), old.ClusterSecret()...)
	if err := old.Save(filepath.Join(dir, "registry.json")); err != nil {
		t.Fatal(err)
	}

	r, _, err := LoadOrCreate(dir, "/new/realm", DefaultPortBase) // the port base of an existing realm is its own
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.ClusterSecret(), secret) {
		t.Fatal("the cluster secret changed")
	}
	if len(r.Nodes) != 11 { // the 9 processes and the two revivers
		t.Fatalf("%d nodes, want 11", len(r.Nodes))
	}
	zone2, ok := r.Node("DEV-ZONE-2")
	if !ok || zone2.Addr != "127.0.0.1:23008" || !slices.Contains(zone2.Restart, "--instance") {
		t.Fatalf("the instance zone: %+v", zone2)
	}
	login, _ := r.Node("DEV-LOGIN-1")
	if login.Addr != "127.0.0.1:23005" || !slices.Contains(login.Restart, "--attempts-per-second") {
		t.Fatalf("the login node: %+v", login)
	}
	rv1, ok1 := r.Node("DEV-REVIVER-1")
	rv2, ok2 := r.Node("DEV-REVIVER-2")
	if !ok1 || !ok2 || rv1.Admin != "127.0.0.1:25009" || rv2.Admin != "127.0.0.1:25010" || len(rv1.Restart)+len(rv2.Restart) != 0 ||
		rv1.Data != filepath.Join(dir, RunDir) || rv2.Data != rv1.Data {
		t.Fatalf("the revivers: %+v, %+v", rv1, rv2)
	}
	for _, e := range r.Nodes {
		if len(e.Restart) > 0 && e.Restart[0] != "/new/realm" {
			t.Fatalf("%s still runs %s", e.ID, e.Restart[0])
		}
	}
	// And the registry on disk says so too.
	again, err := registry.Load(filepath.Join(dir, "registry.json"))
	if err != nil || len(again.Nodes) != 11 {
		t.Fatalf("saved registry: %v, %d nodes", err, len(again.Nodes))
	}
}
