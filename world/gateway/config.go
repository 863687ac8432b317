package gateway

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
)

// Defaults of Config's zero fields.
const (
	// DefaultBudget is the size of one snapshot datagram, in bytes: what
	// fits a QUIC datagram on a 1,280-byte path MTU.
	DefaultBudget = 1200
	// DefaultHandshake bounds a connection from accept to Welcome.
	DefaultHandshake = 10 * time.Second
	// DefaultLoadEvery is how often a gateway tells its siblings its load.
	DefaultLoadEvery = 100 * time.Millisecond
	// DefaultFullLateness is how late a gateway's snapshots may leave (the
	// 90th percentile of its last 64 zone ticks, from the tick's time to
	// the end of its snapshot pass) before it takes no new player.
	DefaultFullLateness = 150 * time.Millisecond
	// DefaultFullBehind is how far behind the snapshots sent to them a
	// gateway's players may acknowledge (the 90th percentile of a pass,
	// less each path's round trip) before it takes no new player. At 250
	// ms the overload run let in up to 572 players on this 2-core box, and
	// their snapshot age went past 250 ms at p99 (ARCHITECTURE §3).
	DefaultFullBehind = 150 * time.Millisecond
	// DefaultFullIdle and DefaultFullIdleShare: full while the machine
	// has under 40% of its CPU idle and the gateway uses a third of a core
	// or more: a machine past 60% busy already delays snapshots in its run
	// queues.
	DefaultFullIdle      = 0.40
	DefaultFullIdleShare = 0.33
	// DefaultShedEvery is realm up's Config.ShedEvery: a loaded gateway
	// sends each player half the snapshots (10 a second from a 20 Hz zone).
	DefaultShedEvery = 2
	// MaxSnapshotEvery bounds SnapshotEvery and ShedEvery: a snapshot at
	// least every 8 ticks (2.5 a second at 20 Hz).
	MaxSnapshotEvery = 8
	// MinBudget is the smallest datagram budget that holds a snapshot's
	// header and a few records.
	MinBudget = 256
)

// ErrConfig is wrapped by every configuration error of a gateway.
var ErrConfig = errors.New("gateway: invalid config")

// Config configures a gateway node; the zero value of a field means its
// default.
type Config struct {
	// Node is the gateway's link identity; its Peers must include Realm.
	// Zones are dialed as players enter them.
	Node node.Config
	// Realm is the realm node's id of a gateway that serves one realm (and
	// of players who name no realm). Realms, by name, are the realm nodes
	// of a gateway every realm shares: a player's Connect names its realm.
	// One of the two is required; every realm node is among Node.Peers.
	Realm  string
	Realms map[string]string
	// Listen is the players' QUIC address; TLS its certificate. Required.
	Listen string
	TLS    *tls.Config
	// Budget is the size of one snapshot datagram, in bytes (default
	// DefaultBudget, 1,200; at least MinBudget).
	Budget int
	// Handshake bounds a connection from accept to Welcome (default
	// DefaultHandshake, 10 s).
	Handshake time.Duration
	// LoadEvery is how often the gateway tells its siblings its load
	// (default DefaultLoadEvery, 100 ms).
	LoadEvery time.Duration
	// Public is the players' address other gateways redirect players to
	// (default: the listener's address).
	Public string
	// Siblings are the other gateways (node ids, among Node.Peers):
	// they tell each other their load, and a player connecting to one that
	// is not the least loaded is redirected to the one that is.
	Siblings []string
	// Clock is where budgets, move checks, pacing and load reports read
	// time (default: the wall clock).
	Clock ecs.Clock
	// MaxPlayers caps the players the gateway takes (default 0: no cap);
	// FullLateness is how late its snapshots may leave before it takes no
	// new player (default DefaultFullLateness; negative: never full for
	// lateness). A full gateway says so in its load reports: the realm
	// node assigns new players elsewhere, or refuses them Busy with a retry
	// hint when every gateway is full (load.go).
	MaxPlayers   int
	FullLateness time.Duration
	// FullBehind is how far behind the snapshots sent to them its players
	// may acknowledge before it takes no new player (load.go; default
	// DefaultFullBehind; negative: never full for it).
	FullBehind time.Duration
	// FullIdle: the gateway also takes no new player while the machine's
	// idle CPU share, over the last 5 s, is under FullIdle and the gateway
	// itself used at least FullIdleShare of a core (cpu.go; Linux). 0: off
	// (the default); realm up uses DefaultFullIdle and DefaultFullIdleShare.
	FullIdle, FullIdleShare float64
	// SnapshotEvery is how many zone ticks apart one player's snapshots
	// go (default 1: every tick). ShedEvery is the same under pressure:
	// once the gateway is full by a measured rule, each player gets a
	// snapshot every ShedEvery ticks until the players who strained it
	// would fit again (shed.go). 0 (the default): never shed; realm up
	// uses DefaultShedEvery.
	SnapshotEvery, ShedEvery int
}

// withDefaults returns the config with its defaults filled in, or an error
// wrapping ErrConfig that names the field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Realm == "" && len(c.Realms) == 0:
		return c, fmt.Errorf("%w: Realm or Realms is required", ErrConfig)
	case c.Listen == "":
		return c, fmt.Errorf("%w: Listen is required", ErrConfig)
	case c.TLS == nil:
		return c, fmt.Errorf("%w: TLS is required", ErrConfig)
	case c.Budget != 0 && c.Budget < MinBudget:
		return c, fmt.Errorf("%w: Budget %d is below %d bytes", ErrConfig, c.Budget, MinBudget)
	case c.Handshake < 0:
		return c, fmt.Errorf("%w: Handshake %v is negative", ErrConfig, c.Handshake)
	case c.LoadEvery < 0:
		return c, fmt.Errorf("%w: LoadEvery %v is negative", ErrConfig, c.LoadEvery)
	case c.MaxPlayers < 0:
		return c, fmt.Errorf("%w: MaxPlayers %d is negative", ErrConfig, c.MaxPlayers)
	case c.FullIdle < 0 || c.FullIdle >= 0.5 || c.FullIdleShare < 0:
		return c, fmt.Errorf("%w: FullIdle %v must be in [0, 0.5) and FullIdleShare %v not negative", ErrConfig, c.FullIdle, c.FullIdleShare)
	case c.SnapshotEvery < 0 || c.SnapshotEvery > MaxSnapshotEvery || c.ShedEvery < 0 || c.ShedEvery > MaxSnapshotEvery:
		return c, fmt.Errorf("%w: SnapshotEvery %d and ShedEvery %d must be in [0, %d]", ErrConfig, c.SnapshotEvery, c.ShedEvery, MaxSnapshotEvery)
	case c.ShedEvery != 0 && c.ShedEvery < max(c.SnapshotEvery, 1):
		return c, fmt.Errorf("%w: ShedEvery %d sends more snapshots than SnapshotEvery %d", ErrConfig, c.ShedEvery, c.SnapshotEvery)
	}
	c.SnapshotEvery = max(c.SnapshotEvery, 1)
	if c.FullLateness == 0 {
		c.FullLateness = DefaultFullLateness
	}
	if c.FullBehind == 0 {
		c.FullBehind = DefaultFullBehind
	}
	if c.Budget == 0 {
		c.Budget = DefaultBudget
	}
	if c.Handshake == 0 {
		c.Handshake = DefaultHandshake
	}
	if c.LoadEvery == 0 {
		c.LoadEvery = DefaultLoadEvery
	}
	if c.Node.Role == "" {
		c.Node.Role = registry.RoleGateway
	}
	c.Clock = ecs.OrReal(c.Clock)
	return c, nil
}
