package backup

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
)

// Config configures a backup node; the zero value of a field means its
// default.
type Config struct {
	Node node.Config
	// DB is the db node's id; it must be among Node.Peers.
	DB string
	// Dir holds the backups and the manifest. Required.
	Dir string
	// Interval between backups (default DefaultInterval, 60 s).
	Interval time.Duration
	// FullEvery is how often a full backup starts a new chain (default
	// DefaultFullEvery, 1 h).
	FullEvery time.Duration
	// Keep is how many chains (full backups with their incrementals) to
	// keep (default DefaultKeep, 24).
	Keep int
	// Timeout bounds one backup transfer (default DefaultTimeout, 10 min).
	Timeout time.Duration
}

// Defaults of Config's zero fields.
const (
	DefaultInterval  = time.Minute
	DefaultFullEvery = time.Hour
	DefaultKeep      = 24
	DefaultTimeout   = 10 * time.Minute
)

// ErrConfig is wrapped by every configuration error of a backup node.
var ErrConfig = errors.New("backup: invalid config")

// withDefaults returns the config with its defaults filled in, or an error
// wrapping ErrConfig that names the field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Dir == "":
		return c, fmt.Errorf("%w: Dir is required", ErrConfig)
	case c.DB == "":
		return c, fmt.Errorf("%w: DB is required", ErrConfig)
	case c.Interval < 0 || c.FullEvery < 0 || c.Timeout < 0:
		return c, fmt.Errorf("%w: Interval, FullEvery and Timeout must not be negative", ErrConfig)
	case c.Keep < 0:
		return c, fmt.Errorf("%w: Keep %d is negative", ErrConfig, c.Keep)
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.FullEvery == 0 {
		c.FullEvery = DefaultFullEvery
	}
	if c.Keep == 0 {
		c.Keep = DefaultKeep
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Node.Role == "" {
		c.Node.Role = registry.RoleBackup
	}
	return c, nil
}
