package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/store"
)

// TestFetchNewestOverTheNetwork: a backup node hands out its newest
// verified chain (full and incremental) over its admin endpoint, to the
// holder of the admin token only; the copy restores to a store with every
// item.
func TestFetchNewestOverTheNetwork(t *testing.T) {
	dbn := startDB(t, t.TempDir())
	defer dbn.Stop()
	token := registry.AdminToken(secret)
	b, err := Start(Config{
		Node: node.Config{ID: "BACKUP", Secret: secret, Logger: quiet(), AdminToken: token, Peers: []node.Peer{{ID: "DB", Addr: dbn.Node().Addr()}}},
		DB:   "DB", Dir: t.TempDir(), Interval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	ctx := context.Background()
	into := filepath.Join(t.TempDir(), "fetched")
	if _, err := Fetch(ctx, b.Node().AdminAddr(), token, into); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("fetch with no backup yet: %v", err)
	}
	s := dbn.Store()
	c, _ := s.CreateCharacter("a", "Keeper", "Z", 0, 0)
	first, _ := s.GrantItem(c.ID, 0, 1, 1)
	takeBackup(t, b, true, 1)
	second, _ := s.GrantItem(c.ID, 0, 2, 1)
	takeBackup(t, b, false, 2)

	if _, err := Fetch(ctx, b.Node().AdminAddr(), "wrong", into); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("fetch without the token: %v", err)
	}
	e, err := Fetch(ctx, b.Node().AdminAddr(), token, into)
	if err != nil {
		t.Fatal(err)
	}
	if want := b.Manifest().Entries[1]; e.File != want.File || e.SHA256 != want.SHA256 {
		t.Fatalf("fetched %+v, want the newest %+v", e, want)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(into, target, -1); err != nil {
		t.Fatal(err)
	}
	restored, err := store.Open(store.Config{Dir: target, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	for _, id := range []uint64{first.ID, second.ID} {
		if it, err := restored.Item(id); err != nil || it.Owner != c.ID {
			t.Fatalf("item %d after a restore of the fetched chain: %+v %v", id, it, err)
		}
	}
}

// chainTar builds a stream as serveNewest does.
func chainTar(t testing.TB, m Manifest, files map[string][]byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := range m.Entries {
		m.Entries[i].Bytes = int64(len(files[m.Entries[i].File]))
	}
	mb, _ := json.Marshal(m)
	tw.WriteHeader(&tar.Header{Name: manifestFile, Mode: 0o644, Size: int64(len(mb))})
	tw.Write(mb)
	for _, e := range m.Entries {
		if b, ok := files[e.File]; ok {
			tw.WriteHeader(&tar.Header{Name: e.File, Mode: 0o644, Size: int64(len(b))})
			tw.Write(b)
		}
	}
	tw.Close()
	return buf.Bytes()
}

// TestUntarChainRefusesDamage: a file that does not match its SHA-256, a
// missing file, a path outside the directory and a stream without a
// manifest are refused.
func TestUntarChainRefusesDamage(t *testing.T) {
	good := []byte("backup bytes")
	sum := "2d3c0f7ad4e23a11a0a5a9ab0bc6bb5d9ec8e37cb2e1bf54b6d5e5f2a5b3a1c0" // not good's
	for name, stream := range map[string][]byte{
		"bad sum":      chainTar(t, Manifest{Entries: []Entry{{File: "a.bak", Full: true, SHA256: sum}}}, map[string][]byte{"a.bak": good}),
		"missing file": chainTar(t, Manifest{Entries: []Entry{{File: "a.bak", Full: true, SHA256: sum}}}, nil),
		"escape":       chainTar(t, Manifest{Entries: []Entry{{File: "../a.bak", Full: true}}}, map[string][]byte{"../a.bak": good}),
		"no manifest":  {},
	} {
		if _, err := untarChain(bytes.NewReader(stream), t.TempDir()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzUntarChain: whatever a peer sends as a backup stream, untarChain
// returns an error or a chain whose every file matches; it never panics
// nor writes outside its directory.
func FuzzUntarChain(f *testing.F) {
	f.Add(chainTar(f, Manifest{Entries: []Entry{{File: "a.bak", Full: true}}}, map[string][]byte{"a.bak": []byte("x")}))
	f.Add([]byte{})
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := filepath.Join(root, "chain")
		os.RemoveAll(dir)
		os.Mkdir(dir, 0o755)
		untarChain(bytes.NewReader(b), dir)
		if entries, _ := os.ReadDir(root); len(entries) != 1 {
			t.Fatalf("wrote beside its directory: %v", entries)
		}
	})
}
