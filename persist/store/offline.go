package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	badger "github.com/dgraph-io/badger/v4"
)

// ErrInUse is returned by OpenOffline when a running node holds the store.
var ErrInUse = errors.New("the store is in use by a running node")

// OpenOffline opens a stopped node's store for an offline tool (dump,
// inspection) without changing it. A store that a killed node left behind
// cannot be opened read-only (Badger must truncate its log first): it is
// then copied into a scratch directory and opened there, so that the tool
// reads exactly what the node would recover. close releases the store and
// removes any scratch copy.
func OpenOffline(dir string) (db *badger.DB, close func() error, err error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("store %s: %w", dir, err)
	}
	db, err = badger.Open(badger.DefaultOptions(dir).WithReadOnly(true).WithLogger(nil))
	switch {
	case err == nil:
		return db, db.Close, nil
	case strings.Contains(err.Error(), "Cannot acquire directory lock"):
		return nil, nil, fmt.Errorf("store %s: %w (stop it first): %v", dir, ErrInUse, err)
	case !strings.Contains(err.Error(), "truncate"):
		return nil, nil, fmt.Errorf("store %s: %w", dir, err)
	}
	scratch, err := os.MkdirTemp("", "gridrealm-offline-")
	if err != nil {
		return nil, nil, err
	}
	if err := copyDir(dir, scratch); err != nil {
		os.RemoveAll(scratch)
		return nil, nil, fmt.Errorf("store %s: copy for an offline read: %w", dir, err)
	}
	db, err = badger.Open(badger.DefaultOptions(scratch).WithLogger(nil))
	if err != nil {
		os.RemoveAll(scratch)
		return nil, nil, fmt.Errorf("store %s: open a copy of an unclean store: %w", dir, err)
	}
	return db, func() error {
		err := db.Close()
		os.RemoveAll(scratch)
		return err
	}, nil
}

// copyDir copies the regular files of src (a Badger directory is flat)
// into dst, leaving the lock file behind.
func copyDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == "LOCK" {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
