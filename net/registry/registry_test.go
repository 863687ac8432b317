package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secret = `"secret": "00112233445566778899aabbccddeeff"`

func TestParseValid(t *testing.T) {
	r, err := Parse([]byte(`{`+secret+`, "nodes": [
		{"id": "FORTRAX-ZONE-1", "role": "zone", "realm": "fortrax", "addr": "127.0.0.1:7101", "restart": ["realm", "zone"]},
		{"id": "LOGIN-1", "role": "login", "addr": "127.0.0.1:7001", "public": "127.0.0.1:7443"}
	]}`), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ClusterSecret()) != 16 {
		t.Fatalf("secret %x", r.ClusterSecret())
	}
	if e, ok := r.Node("FORTRAX-ZONE-1"); !ok || e.Restart[0] != "realm" {
		t.Fatalf("node: %+v", e)
	}
	if len(r.ByRole("fortrax", RoleZone)) != 1 || len(r.ByRole("", RoleLogin)) != 1 {
		t.Fatal("ByRole")
	}
}

func TestInvalidEntriesAreNamed(t *testing.T) {
	cases := []struct{ name, nodes, want string }{
		{"duplicate id", `{"id": "A", "role": "db", "realm": "r", "addr": "127.0.0.1:1"}, {"id": "A", "role": "db", "realm": "r", "addr": "127.0.0.1:2"}`,
			`nodes[1] "A": duplicate id, first at nodes[0]`},
		{"unknown role", `{"id": "B", "role": "wizard", "realm": "r", "addr": "127.0.0.1:1"}`, `nodes[0] "B": unknown role "wizard"`},
		{"bad address", `{"id": "C", "role": "db", "realm": "r", "addr": "localhost"}`, `nodes[0] "C": addr "localhost"`},
		{"bad port", `{"id": "D", "role": "db", "realm": "r", "addr": "127.0.0.1:99999"}`, `nodes[0] "D": addr "127.0.0.1:99999": bad port`},
		{"shared address", `{"id": "E", "role": "db", "realm": "r", "addr": "127.0.0.1:5"}, {"id": "F", "role": "zone", "realm": "r", "addr": "127.0.0.1:5"}`,
			`nodes[1] "F": addr 127.0.0.1:5 is already used by E`},
		{"no realm", `{"id": "G", "role": "zone", "addr": "127.0.0.1:1"}`, `nodes[0] "G": a zone node needs a realm`},
		{"bad id", `{"id": "H I", "role": "db", "realm": "r", "addr": "127.0.0.1:1"}`, `nodes[0] "H I": id has ' '`},
		{"gateway without public", `{"id": "J", "role": "gateway", "realm": "r", "addr": "127.0.0.1:1"}`, `nodes[0] "J": a gateway node needs a public address`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(`{`+secret+`, "nodes": [`+c.nodes+`]}`), ".")
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"syntax", "{\n  \"nodes\": [,]\n}", "line 2 column"},
		{"unknown field", `{` + secret + `, "nodez": []}`, `unknown field "nodez"`},
		{"no secret", `{"nodes": [{"id": "A", "role": "db", "realm": "r", "addr": "127.0.0.1:1"}]}`, "no secret"},
		{"short secret", `{"secret": "0011", "nodes": []}`, "at least 16"},
		{"no nodes", `{` + secret + `, "nodes": []}`, "no nodes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.data), ".")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestSecretFileAndSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("an-ascii-secret-that-is-long\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "registry.json")
	if err := os.WriteFile(path, []byte(`{"secret_file": "secret", "nodes": [{"id": "A", "role": "db", "realm": "r", "addr": "127.0.0.1:1"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.ClusterSecret()) != "an-ascii-secret-that-is-long" {
		t.Fatalf("secret %q", r.ClusterSecret())
	}
	r.SetSecret([]byte("0123456789abcdef0123"))
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	again, err := Load(path)
	if err != nil || string(again.ClusterSecret()) != "0123456789abcdef0123" {
		t.Fatalf("reload: %v", err)
	}
}

func TestRestartDailyIsChecked(t *testing.T) {
	for _, tc := range []struct {
		entry string
		ok    bool
	}{
		{`{"id":"R-1","role":"reviver","addr":"127.0.0.1:1","restart_daily":"04:30"}`, true},
		{`{"id":"R-1","role":"reviver","addr":"127.0.0.1:1","restart_daily":"25:00"}`, false},
		{`{"id":"R-1","role":"reviver","addr":"127.0.0.1:1","restart_daily":"4pm"}`, false},
		{`{"id":"Z-1","role":"zone","realm":"r","addr":"127.0.0.1:1","restart_daily":"04:30"}`, false},
	} {
		_, err := Parse([]byte(`{"secret":"00112233445566778899aabbccddeeff","nodes":[`+tc.entry+`]}`), ".")
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.entry, err)
		}
	}
}

// FuzzParse: whatever an operator's file holds, Parse answers a registry
// whose every node can be looked up, or an error that says it is invalid
// (and where, for JSON); it never panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{` + secret + `, "nodes": [
		{"id": "FORTRAX-ZONE-1", "role": "zone", "realm": "fortrax", "addr": "127.0.0.1:7101", "restart": ["realm", "zone"]},
		{"id": "LOGIN-1", "role": "login", "addr": "127.0.0.1:7001", "public": "127.0.0.1:7443"}]}`))
	f.Add([]byte(`{"secret_file": "secret", "nodes": [{"id": "A", "role": "db", "realm": "r", "addr": "[::1]:1"}]}`))
	f.Add([]byte("{\n  \"nodes\": [,]\n}"))
	f.Add([]byte(`{` + secret + `, "nodes": []} {}`))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data, dir)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
				var pe *os.PathError
				if !errors.As(err, &pe) {
					t.Fatalf("an error that does not say the registry is invalid: %v", err)
				}
			}
			return
		}
		if len(r.ClusterSecret()) < 16 {
			t.Fatalf("a registry taken with a %d-byte secret", len(r.ClusterSecret()))
		}
		for _, e := range r.Nodes {
			if got, ok := r.Node(e.ID); !ok || got.ID != e.ID {
				t.Fatalf("node %q taken but not found", e.ID)
			}
			_ = r.ByRole(e.Realm, e.Role)
		}
		_ = r.AdminToken()
	})
}
