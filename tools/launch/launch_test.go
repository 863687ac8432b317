package launch

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
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
	old.Nodes = slices.DeleteFunc(old.Nodes, func(e registry.Entry) bool {
		return e.ID == "DEV-INSTANCE-2" || e.ID == "DEV-LOGIN-2" || e.ID == "DEV-LOGIN-DB" || e.ID == "DEV-LOGIN-BACKUP"
	})
	old.Nodes = append(old.Nodes, registry.Entry{ID: "DEV-ZONE-2", Role: registry.RoleZone, Realm: DevRealm, Addr: "127.0.0.1:23099",
		Restart: []string{"/old/realm", "zone"}}) // an earlier version's static instance
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
	if len(r.Nodes) != 15 { // the 13 processes and the two revivers
		t.Fatalf("%d nodes, want 15", len(r.Nodes))
	}
	for _, id := range []string{"DEV-LOGIN-2", "DEV-LOGIN-DB", "DEV-LOGIN-BACKUP"} {
		if e, ok := r.Node(id); !ok || e.Realm != "" {
			t.Fatalf("%s, shared by every realm, was not added: %+v", id, e)
		}
	}
	if _, ok := r.Node("DEV-ZONE-2"); ok {
		t.Fatal("the earlier static instance is still there")
	}
	inst2, ok := r.Node("DEV-INSTANCE-2")
	if !ok || inst2.Addr != "127.0.0.1:23012" || inst2.Role != registry.RoleInstance || !slices.Contains(inst2.Restart, "--pool") {
		t.Fatalf("the second instance node: %+v", inst2)
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
	if err != nil || len(again.Nodes) != 15 {
		t.Fatalf("saved registry: %v, %d nodes", err, len(again.Nodes))
	}
}

func TestUseContentIsIdempotent(t *testing.T) {
	r := &registry.Registry{Nodes: []registry.Entry{
		{ID: "Z", Role: registry.RoleZone, Restart: []string{"realm", "zone", "--id", "Z"}},
		{ID: "G", Role: registry.RoleGateway, Restart: []string{"realm", "gateway"}},
	}}
	UseContent(r, "/c1")
	UseContent(r, "/c2")
	if got := strings.Join(r.Nodes[0].Restart, " "); got != "realm zone --id Z --content /c2 --watch" {
		t.Fatalf("zone: %s", got)
	}
	if got := strings.Join(r.Nodes[1].Restart, " "); got != "realm gateway" {
		t.Fatalf("gateway: %s", got)
	}
	UseContent(r, "")
	if got := strings.Join(r.Nodes[0].Restart, " "); got != "realm zone --id Z" {
		t.Fatalf("back to the shipped content: %s", got)
	}
}
