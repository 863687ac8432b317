package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/gridrealm/gridrealm/persist/store"
)

// fileSHA256 hashes a backup file.
func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// restoreChain loads a chain of backups into db, checking each file's
// SHA-256 against the manifest first.
func restoreChain(dir string, chain []Entry, db *badger.DB) error {
	for _, e := range chain {
		path := filepath.Join(dir, e.File)
		sum, n, err := fileSHA256(path)
		if err != nil {
			return fmt.Errorf("backup %s: %w", e.File, err)
		}
		if sum != e.SHA256 || n != e.Bytes {
			return fmt.Errorf("backup %s is corrupt: sha256 %s (%d bytes), manifest says %s (%d bytes)", e.File, sum, n, e.SHA256, e.Bytes)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := store.Load(db, bytes.NewReader(data)); err != nil {
			return fmt.Errorf("backup %s: %w", e.File, err)
		}
	}
	return nil
}

// scratchOptions are the in-memory Badger's a backup is restored into to
// be checked, once a minute on a machine that may be serving play: small
// tables and caches, read once. Badger's defaults (a 64 MB memtable, a
// 256 MB block cache) cost 20–440 ms of CPU to open and close, each time,
// in the pages they touch and the collections they start; these ~2 ms. A
// bigger backup only means more, smaller tables in memory; the largest
// record it takes is what any in-memory Badger takes (a value of 1 MB,
// with no value log), as with the defaults.
func scratchOptions() badger.Options {
	return badger.DefaultOptions("").WithInMemory(true).WithLogger(nil).
		WithMemTableSize(8 << 20).WithNumMemtables(2).WithBlockCacheSize(1 << 20).WithIndexCacheSize(0).WithNumCompactors(2)
}

// VerifyEntry restores the chain up to entry i into a scratch in-memory
// Badger and checks it: every record decodes, every live item has exactly
// one existing owner and the indexes agree (store.Check finds nothing),
// and the digest is the db's at that version, so the backup holds exactly
// the state the db had.
func VerifyEntry(dir string, m *Manifest, i int) (store.Report, error) {
	chain, err := m.Chain(i)
	if err != nil {
		return store.Report{}, err
	}
	db, err := badger.Open(scratchOptions())
	if err != nil {
		return store.Report{}, err
	}
	defer db.Close()
	if err := restoreChain(dir, chain, db); err != nil {
		return store.Report{}, err
	}
	r, err := store.Check(db, false, func(string, ...any) {})
	if err != nil {
		return r, fmt.Errorf("backup %s: restored store unreadable: %w", m.Entries[i].File, err)
	}
	if r.Problems() != 0 {
		return r, fmt.Errorf("backup %s: restored store fails its check: %s", m.Entries[i].File, r.String())
	}
	d, err := store.Digest(db)
	if err != nil {
		return r, err
	}
	if got := hex.EncodeToString(d[:]); got != m.Entries[i].Digest {
		return r, fmt.Errorf("backup %s: restored state has digest %s, the db had %s at version %d", m.Entries[i].File, got, m.Entries[i].Digest, m.Entries[i].Version)
	}
	return r, nil
}

// VerifyAll checks every backup of a directory: each file's SHA-256, and
// the restore of every chain. It returns one error per bad backup.
func VerifyAll(dir string) ([]error, error) {
	m, err := LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	var bad []error
	for i := range m.Entries {
		if _, err := VerifyEntry(dir, m, i); err != nil {
			bad = append(bad, err)
		}
	}
	return bad, nil
}

// Restore rebuilds a store directory from the newest verified backup of
// backupDir (or entry index, if >= 0). The target must not exist or be
// empty; use RestoreOver to replace a broken store.
func Restore(backupDir, dataDir string, index int) (Entry, error) {
	m, err := LoadManifest(backupDir)
	if err != nil {
		return Entry{}, err
	}
	if index < 0 {
		if index, err = m.Latest(); err != nil {
			return Entry{}, fmt.Errorf("restore from %s: %w", backupDir, err)
		}
	}
	if _, err := VerifyEntry(backupDir, m, index); err != nil {
		return Entry{}, fmt.Errorf("restore from %s: %w", backupDir, err)
	}
	chain, _ := m.Chain(index)
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return Entry{}, fmt.Errorf("restore into %s: directory is not empty", dataDir)
	}
	db, err := badger.Open(badger.DefaultOptions(dataDir).WithLogger(nil))
	if err != nil {
		return Entry{}, err
	}
	if err := restoreChain(backupDir, chain, db); err != nil {
		db.Close()
		return Entry{}, err
	}
	if err := db.Close(); err != nil {
		return Entry{}, err
	}
	// A restored store stopped cleanly: it was just checked.
	return m.Entries[index], os.WriteFile(filepath.Join(dataDir, "CLEAN"), []byte("restored\n"), 0o644)
}

// RestoreOver replaces a broken store directory with the newest verified
// backup; the broken one is kept beside it, renamed, for inspection.
func RestoreOver(backupDir, dataDir string) error {
	aside := dataDir + ".broken"
	os.RemoveAll(aside)
	if err := os.Rename(dataDir, aside); err != nil && !os.IsNotExist(err) {
		return err
	}
	_, err := Restore(backupDir, dataDir, -1)
	return err
}
