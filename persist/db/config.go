package db

import (
	"errors"
	"fmt"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/store"
)

// Config configures a db node; the zero value of a field means its default.
type Config struct {
	Node  node.Config
	Store store.Config
	// Workers apply operations concurrently (default DefaultWorkers, 64;
	// at most MaxWorkers).
	Workers int
	// Queue bounds the operations waiting for a worker (default
	// DefaultQueue, 8,192); a request beyond it is answered Busy at once.
	Queue int
	// Restore, when the store fails its check at start (or is not there
	// at all while Restore holds backups), replaces it with the newest
	// verified backup of this backup directory. Empty: the node refuses to
	// start on a store that fails its check.
	Restore string
	// RestoreFunc does the restore (persist/backup provides it); required
	// with Restore.
	RestoreFunc func(backupDir, dataDir string) error
}

// Defaults of Config's zero fields, and bounds.
const (
	DefaultWorkers = 64
	DefaultQueue   = 8192
	MaxWorkers     = 4096
)

// ErrConfig is wrapped by every configuration error of a db node.
var ErrConfig = errors.New("db: invalid config")

// withDefaults returns the config with its defaults filled in, or an error
// wrapping ErrConfig that names the field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Workers < 0 || c.Workers > MaxWorkers:
		return c, fmt.Errorf("%w: Workers %d is outside 0..%d", ErrConfig, c.Workers, MaxWorkers)
	case c.Queue < 0:
		return c, fmt.Errorf("%w: Queue %d is negative", ErrConfig, c.Queue)
	case c.Restore != "" && c.RestoreFunc == nil:
		return c, fmt.Errorf("%w: RestoreFunc is required with Restore", ErrConfig)
	case !c.Store.InMemory && c.Store.Dir == "":
		return c, fmt.Errorf("%w: Store.Dir is required (or Store.InMemory)", ErrConfig)
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.Node.Role == "" {
		c.Node.Role = registry.RoleDB
	}
	return c, nil
}
