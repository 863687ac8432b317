package backup

import (
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/store"
)

var secret = []byte("backup-test-secret-0123456789")

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func startDB(t *testing.T, dir string) *db.Node {
	t.Helper()
	d, err := db.Start(db.Config{
		Node:  node.Config{ID: "DB", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet()},
		Store: store.Config{Dir: dir},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func startBackup(t *testing.T, dbn *db.Node, dir string) *Node {
	t.Helper()
	b, err := Start(Config{
		Node: node.Config{ID: "BACKUP", Secret: secret, Logger: quiet(), Peers: []node.Peer{{ID: "DB", Addr: dbn.Node().Addr()}}},
		DB:   "DB", Dir: dir, Interval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b
}

func takeBackup(t *testing.T, b *Node, full bool, verified int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !b.Backup(full) {
		if time.Now().After(deadline) {
			t.Fatal("a backup is stuck")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !b.WaitVerified(verified, 20*time.Second) {
		t.Fatalf("backup %d not verified: %+v", verified, b.Manifest())
	}
}

// TestChainRestoresExactly: full + incrementals restore to the db's exact
// digest; an item destroyed before a backup does not come back.
func TestChainRestoresExactly(t *testing.T) {
	dbn := startDB(t, t.TempDir())
	defer dbn.Stop()
	s := dbn.Store()
	dir := t.TempDir()
	b := startBackup(t, dbn, dir)

	var chars []uint64
	for i := 0; i < 100; i++ {
		c, _ := s.CreateCharacter("acct", "char-"+strings.Repeat("x", i%5)+string(rune('A'+i%26))+string(rune('a'+i/26)), "Z", 0, 0)
		chars = append(chars, c.ID)
	}
	var items []uint64
	for i := 0; i < 1000; i++ {
		it, _ := s.GrantItem(chars[i%100], 0, uint32(i), 1)
		items = append(items, it.ID)
	}
	takeBackup(t, b, true, 1)
	for i := 0; i < 500; i++ {
		s.TransferItem(items[i], chars[i%100], chars[(i+1)%100], 0)
	}
	doomed := items[999]
	if err := s.DestroyItem(doomed, chars[99], 0); err != nil {
		t.Fatal(err)
	}
	s.Badger().Flatten(1)
	takeBackup(t, b, false, 2)
	for i := 0; i < 100; i++ {
		s.GrantItem(chars[i], 0, 5000, 2)
	}
	takeBackup(t, b, false, 3)

	m := b.Manifest()
	if len(m.Entries) != 3 || !m.Entries[0].Full || m.Entries[1].Full || m.Entries[2].Full {
		t.Fatalf("manifest: %+v", m.Entries)
	}
	bad, err := VerifyAll(dir)
	if err != nil || len(bad) != 0 {
		t.Fatalf("verify: %v %v", bad, err)
	}

	target := filepath.Join(t.TempDir(), "restored")
	e, err := Restore(dir, target, -1)
	if err != nil {
		t.Fatal(err)
	}
	// The digest is read before a Store opens the directory: opening one
	// leases a new range of ids, a write of its own.
	raw, err := badger.Open(badger.DefaultOptions(target).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := store.Digest(raw)
	raw.Close()
	if hex.EncodeToString(d[:]) != e.Digest {
		t.Fatal("restored store differs from the db at the backup's version")
	}
	restored, err := store.Open(store.Config{Dir: target, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if it, _ := restored.Item(doomed); !it.Destroyed {
		t.Fatalf("destroyed item %d came back: %+v", doomed, it)
	}
	r, _ := restored.Check(false)
	if r.Problems() != 0 || r.Items != 1099 {
		t.Fatalf("restored: %s", r.String())
	}
}

// TestFlippedBitIsDetected flips one bit in each backup file in turn:
// verification names the damaged file every time.
func TestFlippedBitIsDetected(t *testing.T) {
	dbn := startDB(t, t.TempDir())
	defer dbn.Stop()
	s := dbn.Store()
	dir := t.TempDir()
	b := startBackup(t, dbn, dir)
	c, _ := s.CreateCharacter("a", "A", "Z", 0, 0)
	for i := 0; i < 50; i++ {
		s.GrantItem(c.ID, 0, 1, 1)
	}
	takeBackup(t, b, true, 1)
	s.GrantItem(c.ID, 0, 2, 1)
	takeBackup(t, b, false, 2)

	for _, e := range b.Manifest().Entries {
		path := filepath.Join(dir, e.File)
		orig, _ := os.ReadFile(path)
		for _, at := range []int{0, len(orig) / 2, len(orig) - 1} {
			damaged := append([]byte(nil), orig...)
			damaged[at] ^= 0x10
			os.WriteFile(path, damaged, 0o644)
			bad, _ := VerifyAll(dir)
			if len(bad) == 0 || !strings.Contains(bad[len(bad)-1].Error(), e.File) || !strings.Contains(bad[len(bad)-1].Error(), "corrupt") {
				t.Fatalf("bit %d of %s flipped: %v", at, e.File, bad)
			}
		}
		os.WriteFile(path, orig, 0o644)
	}
	if bad, _ := VerifyAll(dir); len(bad) != 0 {
		t.Fatalf("after repair: %v", bad)
	}
}

// TestRestartStartsANewChain: a db restart loses its backup snapshot, so
// the next backup is full even when an incremental was asked for.
func TestRestartStartsANewChain(t *testing.T) {
	dataDir := t.TempDir()
	dbn := startDB(t, dataDir)
	c, _ := dbn.Store().CreateCharacter("a", "A", "Z", 0, 0)
	dir := t.TempDir()
	b := startBackup(t, dbn, dir)
	takeBackup(t, b, true, 1)
	addr := dbn.Node().Addr()
	dbn.Stop()
	d2, err := db.Start(db.Config{Node: node.Config{ID: "DB", Secret: secret, Listen: addr, Logger: quiet()}, Store: store.Config{Dir: dataDir}})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Stop()
	d2.Store().GrantItem(c.ID, 0, 1, 1)
	takeBackup(t, b, false, 2)
	if m := b.Manifest(); !m.Entries[1].Full {
		t.Fatalf("after a db restart: %+v", m.Entries[1])
	}
}

// TestUnusableStoreIsRestoredFromBackup: the last rung of the recovery
// ladder. The db's files are destroyed; with a backup directory the db
// node starts on the newest verified backup (the broken files kept aside),
// without one it refuses to start and says why.
func TestUnusableStoreIsRestoredFromBackup(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "db")
	dbn := startDB(t, dataDir)
	c, _ := dbn.Store().CreateCharacter("a", "Survivor", "Z", 0, 0)
	it, _ := dbn.Store().GrantItem(c.ID, 0, 7, 1)
	dir := t.TempDir()
	b := startBackup(t, dbn, dir)
	takeBackup(t, b, true, 1)
	dbn.Stop()

	entries, _ := os.ReadDir(dataDir)
	for _, e := range entries {
		os.WriteFile(filepath.Join(dataDir, e.Name()), []byte("this is not a badger file"), 0o644)
	}
	os.Remove(filepath.Join(dataDir, "CLEAN"))

	cfg := db.Config{Node: node.Config{ID: "DB", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet()}, Store: store.Config{Dir: dataDir}}
	if _, err := db.Start(cfg); err == nil || !strings.Contains(err.Error(), "no backup to restore from") {
		t.Fatalf("start on a broken store without backups: %v", err)
	}
	cfg.Restore, cfg.RestoreFunc = dir, RestoreOver
	d, err := db.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	got, err := d.Store().Item(it.ID)
	if err != nil || got.Owner != c.ID {
		t.Fatalf("item after restore: %+v %v", got, err)
	}
	if _, err := os.Stat(dataDir + ".broken"); err != nil {
		t.Fatalf("the broken store was not kept aside: %v", err)
	}
}

func TestManifestChainAndPrune(t *testing.T) {
	m := &Manifest{Entries: []Entry{
		{File: "f1", Full: true, Version: 10},
		{File: "i1", Since: 10, Version: 20},
		{File: "f2", Full: true, Version: 30},
		{File: "i2", Since: 30, Version: 40},
		{File: "i3", Since: 40, Version: 50, Verified: true},
		{File: "f3", Full: true, Version: 60},
	}}
	chain, err := m.Chain(4)
	if err != nil || len(chain) != 3 || chain[0].File != "f2" || chain[2].File != "i3" {
		t.Fatalf("chain %+v %v", chain, err)
	}
	if i, err := m.Latest(); err != nil || i != 4 {
		t.Fatalf("latest verified %d %v", i, err)
	}
	broken := &Manifest{Entries: []Entry{{File: "f", Full: true, Version: 10}, {File: "i", Since: 11, Version: 20}}}
	if _, err := broken.Chain(1); err == nil || !strings.Contains(err.Error(), "chain is broken") {
		t.Fatalf("broken chain: %v", err)
	}
	if _, err := (&Manifest{Entries: []Entry{{File: "i", Since: 5}}}).Chain(0); err == nil {
		t.Fatal("chain without a full backup")
	}
	gone := m.prune(2)
	if strings.Join(gone, ",") != "f1,i1" || len(m.Entries) != 4 || m.Entries[0].File != "f2" {
		t.Fatalf("pruned %v, left %+v", gone, m.Entries)
	}
	if gone := m.prune(5); gone != nil {
		t.Fatalf("pruned %v with fewer chains than kept", gone)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{DB: "DB"}, "Dir"},
		{Config{Dir: "x"}, "DB"},
		{Config{Dir: "x", DB: "DB", Interval: -1}, "Interval"},
		{Config{Dir: "x", DB: "DB", Keep: -1}, "Keep"},
	} {
		_, err := Start(tc.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}
