package realm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
)

// Config configures a realm node; the zero value of a field means its
// default.
type Config struct {
	// Node is the realm node's identity; its Peers must include DB and
	// every zone.
	Node node.Config
	// DB is the db node's id.
	DB string
	// Zones are the realm's zone nodes: id -> link address (told to
	// gateways).
	Zones map[string]string
	// Pool are the instance nodes the realm allocates instances from: id
	// -> link address (they are among Zones too: a player may be placed
	// in one).
	Pool map[string]string
	// Templates are the instance templates players may enter, each with its
	// cap: how many of its copies may run at once (0: as many as the pool
	// has nodes). Empty: any template the instance nodes know.
	Templates map[string]int
	// MaxInstances caps the instances the realm runs at once (0: the
	// pool's size, and with an Allocator no cap).
	MaxInstances int
	// Allocator, when set, finds more instance nodes when none of Pool is
	// free: on Agones, a GameServerAllocation from the instance Fleet. A
	// node it finds loads one copy for this realm and is forgotten when it
	// releases it (it shuts down, and the fleet makes a fresh one).
	Allocator PoolAllocator
	// InstanceLoad is what the realm tells an instance node with each copy
	// it has it load (template and seed are filled in per request): its db
	// (where the copy's players are claimed and saved) and where the copy's
	// exit leads. Needed with a pool every realm shares; empty fields keep
	// the instance node's own.
	InstanceLoad codec.LoadInstance
	// DefaultZone is where new characters start and where characters of an
	// unknown zone go. Required.
	DefaultZone string
	// MaxSessions bounds the sessions waiting to connect (default
	// DefaultMaxSessions, 100,000).
	MaxSessions int
	// DBTimeout bounds one db request (default DefaultDBTimeout, 5 s);
	// EnterTimeout bounds a zone's answer to an enter (default
	// DefaultEnterTimeout, 10 s).
	DBTimeout, EnterTimeout time.Duration
	// GatewayGrace is how long a gateway's link may stay down before its
	// players leave the directory (default DefaultGatewayGrace, 2 s).
	GatewayGrace time.Duration
	// ResumeTTL is how long a player's resume token stays valid after its
	// connection ended (default DefaultResumeTTL, 30 s).
	ResumeTTL time.Duration
	// Clock is where session expiry reads time (default: the wall clock).
	Clock ecs.Clock
}

// PoolAllocator takes an instance node from outside the static pool for a
// copy: its node id and link address.
type PoolAllocator interface {
	Allocate(ctx context.Context) (id, addr string, err error)
}

// Defaults of Config's zero fields.
const (
	DefaultMaxSessions  = 100000
	DefaultDBTimeout    = 5 * time.Second
	DefaultEnterTimeout = 10 * time.Second
	DefaultGatewayGrace = 2 * time.Second
	DefaultResumeTTL    = 30 * time.Second
)

// ErrConfig is wrapped by every configuration error of a realm node.
var ErrConfig = errors.New("realm: invalid config")

// withDefaults returns the config with its defaults filled in, or an error
// wrapping ErrConfig that names the field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.DB == "":
		return c, fmt.Errorf("%w: DB is required", ErrConfig)
	case c.DefaultZone == "":
		return c, fmt.Errorf("%w: DefaultZone is required", ErrConfig)
	case c.Zones[c.DefaultZone] == "":
		return c, fmt.Errorf("%w: DefaultZone %q is not among Zones", ErrConfig, c.DefaultZone)
	case c.MaxInstances < 0:
		return c, fmt.Errorf("%w: MaxInstances %d is negative", ErrConfig, c.MaxInstances)
	case c.MaxSessions < 0:
		return c, fmt.Errorf("%w: MaxSessions %d is negative", ErrConfig, c.MaxSessions)
	case c.DBTimeout < 0 || c.EnterTimeout < 0 || c.GatewayGrace < 0 || c.ResumeTTL < 0:
		return c, fmt.Errorf("%w: DBTimeout, EnterTimeout, GatewayGrace and ResumeTTL must not be negative", ErrConfig)
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.DBTimeout == 0 {
		c.DBTimeout = DefaultDBTimeout
	}
	if c.EnterTimeout == 0 {
		c.EnterTimeout = DefaultEnterTimeout
	}
	if c.GatewayGrace == 0 {
		c.GatewayGrace = DefaultGatewayGrace
	}
	if c.ResumeTTL == 0 {
		c.ResumeTTL = DefaultResumeTTL
	}
	if c.Node.Role == "" {
		c.Node.Role = registry.RoleRealm
	}
	c.Clock = ecs.OrReal(c.Clock)
	return c, nil
}
