package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Entry is one backup file.
type Entry struct {
	File    string    `json:"file"`
	Full    bool      `json:"full"`
	Since   uint64    `json:"since"`
	Version uint64    `json:"version"`
	Bytes   int64     `json:"bytes"`
	SHA256  string    `json:"sha256"`
	Digest  string    `json:"digest"`
	Created time.Time `json:"created"`
	// Verified is set once the chain up to this backup restored to the
	// db's digest and passed the integrity check; Problem says otherwise.
	Verified bool   `json:"verified"`
	Problem  string `json:"problem,omitempty"`
}

// Manifest lists a directory's backups, oldest first.
type Manifest struct {
	Entries []Entry `json:"entries"`
}

const manifestFile = "manifest.json"

// ErrNoBackup: the directory holds no usable backup.
var ErrNoBackup = errors.New("no verified backup")

// LoadManifest reads a directory's manifest (empty when there is none).
func LoadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return &Manifest{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backup manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("backup manifest %s: %w", filepath.Join(dir, manifestFile), err)
	}
	return &m, nil
}

// Save writes the manifest atomically.
func (m *Manifest) Save(dir string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, manifestFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, manifestFile))
}

// Chain returns the entries to restore, in order, to reach entry i: the
// full backup before it and the incrementals after that.
func (m *Manifest) Chain(i int) ([]Entry, error) {
	if i < 0 || i >= len(m.Entries) {
		return nil, fmt.Errorf("backup %d: out of range (%d backups)", i, len(m.Entries))
	}
	start := i
	for start >= 0 && !m.Entries[start].Full {
		start--
	}
	if start < 0 {
		return nil, fmt.Errorf("backup %d (%s): no full backup before it", i, m.Entries[i].File)
	}
	chain := m.Entries[start : i+1]
	for k := 1; k < len(chain); k++ {
		if chain[k].Since != chain[k-1].Version {
			return nil, fmt.Errorf("backup %s starts after version %d, but %s ends at %d: the chain is broken",
				chain[k].File, chain[k].Since, chain[k-1].File, chain[k-1].Version)
		}
	}
	return chain, nil
}

// Latest returns the index of the newest verified backup.
func (m *Manifest) Latest() (int, error) {
	for i := len(m.Entries) - 1; i >= 0; i-- {
		if m.Entries[i].Verified {
			return i, nil
		}
	}
	return -1, ErrNoBackup
}

// prune keeps the newest keep full backups and the incrementals after
// them, and returns the files to delete.
func (m *Manifest) prune(keep int) []string {
	fulls := 0
	cut := 0
	for i := len(m.Entries) - 1; i >= 0; i-- {
		if m.Entries[i].Full {
			fulls++
			if fulls == keep {
				cut = i
				break
			}
		}
	}
	if fulls < keep {
		return nil
	}
	var gone []string
	for _, e := range m.Entries[:cut] {
		gone = append(gone, e.File)
	}
	m.Entries = append([]Entry(nil), m.Entries[cut:]...)
	return gone
}
