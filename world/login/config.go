package login

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/store"
)

// Realm is a realm players can log in to.
type Realm struct {
	// Node is the realm node's id; it must be among Node.Peers.
	Node string
	// Gateways are the player addresses of its gateways, told to players.
	Gateways []string
}

// Config configures a login node; the zero value of a field means its
// default.
type Config struct {
	Node node.Config
	// Listen is the players' QUIC address. Required.
	Listen string
	// TLS is the server TLS config (pquic.ServerTLS). Required.
	TLS *tls.Config
	// AccountDB is the id of the login db node (among Node.Peers) that
	// keeps the accounts of every login node. Without it, Accounts is the
	// login node's own store (one login node only).
	AccountDB string
	// Accounts is the login node's own store; unused with AccountDB.
	Accounts store.Config
	// Realms, by name.
	Realms map[string]Realm
	// Hash are argon2id's parameters for new accounts (default OWASP;
	// each within the bounds Params.Validate states).
	Hash Params
	// Workers check passwords (default: one per CPU); Queue bounds the
	// logins waiting for one (default DefaultQueuePerWorker per worker);
	// past it: Busy, with a retry hint.
	Workers, Queue int
	// QueueWait is how long a login may wait its turn (default
	// DefaultQueueWait, 5 min): a waiting player is told its place and the
	// wait expected (LoginQueued: every second near the front, every 5 s
	// further back), and past it, Busy.
	QueueWait time.Duration
	// RealmLine bounds the players waiting in a full realm's line, per
	// realm (default DefaultRealmLine; -1: no line, a login to a full
	// realm is answered Busy with the realm's retry hint). A player who
	// logs in while every gateway of its realm is full waits in the line
	// (line.go), told its place, and gets in first come, first served as
	// the realm takes players; past the bound, Busy. LineWait is how long
	// one may wait there (default DefaultLineWait, 30 min); past it, Busy.
	RealmLine int
	LineWait  time.Duration
	// PerAddress bounds the attempts one address may have waiting (default
	// DefaultPerAddress, 2); past it: RateLimited.
	PerAddress int
	// SuspectFor is how long an address that gave a wrong password is
	// served after the others (default DefaultSuspectFor, 10 min).
	SuspectFor time.Duration
	// PerSecond and Burst limit attempts per address (defaults
	// DefaultPerSecond, 1 a second, and DefaultBurst, 5).
	PerSecond float64
	Burst     int
	// SessionTTL is how long a handle stays valid (default
	// DefaultSessionTTL, 2 min).
	SessionTTL time.Duration
	// Handshake bounds a connection from accept to answer (default
	// DefaultHandshake, 10 s).
	Handshake time.Duration
	// Clock is where rate limits, deadlines and session expiry read time
	// (default: the wall clock).
	Clock ecs.Clock
}

// Defaults of Config's zero fields.
const (
	// A waiting login holds only its connection and is told its place: a
	// flood waits in line instead of retrying.
	DefaultQueuePerWorker = 1024
	DefaultQueueWait      = 5 * time.Minute
	DefaultRealmLine      = 10000
	DefaultLineWait       = 30 * time.Minute
	DefaultPerSecond      = 1.0
	DefaultBurst          = 5
	DefaultPerAddress     = 2
	DefaultSuspectFor     = 10 * time.Minute
	DefaultSessionTTL     = 2 * time.Minute
	DefaultHandshake      = 10 * time.Second
	// MaxWorkers bounds Workers: past the CPUs, more hashing threads only
	// add memory (each hash holds Hash.Memory).
	MaxWorkers = 1024
)

// ErrConfig is wrapped by every configuration error of a login node.
var ErrConfig = errors.New("login: invalid config")

// withDefaults returns the config with its defaults filled in, or an error
// wrapping ErrConfig that names the field.
func (c Config) withDefaults() (Config, error) {
	if err := c.check(); err != nil {
		return c, err
	}
	if c.Hash == (Params{}) {
		c.Hash = OWASP
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueuePerWorker * c.Workers
	}
	if c.PerAddress == 0 {
		c.PerAddress = DefaultPerAddress
	}
	if c.SuspectFor == 0 {
		c.SuspectFor = DefaultSuspectFor
	}
	if c.PerSecond == 0 {
		c.PerSecond = DefaultPerSecond
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.Handshake == 0 {
		c.Handshake = DefaultHandshake
	}
	if c.QueueWait == 0 {
		c.QueueWait = DefaultQueueWait
	}
	switch c.RealmLine {
	case 0:
		c.RealmLine = DefaultRealmLine
	case -1:
		c.RealmLine = 0
	}
	if c.LineWait == 0 {
		c.LineWait = DefaultLineWait
	}
	if c.Node.Role == "" {
		c.Node.Role = registry.RoleLogin
	}
	c.Clock = ecs.OrReal(c.Clock)
	return c, nil
}

func (c Config) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch {
	case c.Listen == "":
		return bad("Listen is required")
	case c.TLS == nil:
		return bad("TLS is required")
	case c.Workers < 0 || c.Workers > MaxWorkers:
		return bad("Workers %d is outside 0..%d", c.Workers, MaxWorkers)
	case c.Queue < 0:
		return bad("Queue %d is negative", c.Queue)
	case c.PerAddress < 0:
		return bad("PerAddress %d is negative", c.PerAddress)
	case c.SuspectFor < 0:
		return bad("SuspectFor %v is negative", c.SuspectFor)
	case c.PerSecond < 0 || math.IsNaN(c.PerSecond) || math.IsInf(c.PerSecond, 0):
		return bad("PerSecond %v must be a non-negative number", c.PerSecond)
	case c.Burst < 0:
		return bad("Burst %d is negative", c.Burst)
	case c.SessionTTL < 0:
		return bad("SessionTTL %v is negative", c.SessionTTL)
	case c.Handshake < 0:
		return bad("Handshake %v is negative", c.Handshake)
	case c.QueueWait < 0:
		return bad("QueueWait %v is negative", c.QueueWait)
	case c.RealmLine < -1:
		return bad("RealmLine %d is below -1 (no line)", c.RealmLine)
	case c.LineWait < 0:
		return bad("LineWait %v is negative", c.LineWait)
	}
	if c.Hash != (Params{}) {
		if err := c.Hash.Validate(); err != nil {
			return fmt.Errorf("%w: Hash: %w", ErrConfig, err)
		}
	}
	for name, r := range c.Realms {
		if r.Node == "" {
			return bad("Realms[%q].Node is required", name)
		}
	}
	return nil
}
