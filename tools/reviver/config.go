package reviver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// Defaults of Config's zero fields.
const (
	DefaultCheckEvery  = 250 * time.Millisecond
	DefaultDeadAfter   = 2 * time.Second
	DefaultStartGrace  = 15 * time.Second
	DefaultBackoffMin  = 200 * time.Millisecond
	DefaultBackoffMax  = 10 * time.Second
	DefaultCycleLimit  = 5
	DefaultCycleWindow = time.Minute
	DefaultStopGrace   = 15 * time.Second
	DefaultLeaseTTL    = 3 * time.Second
)

// ErrConfig is wrapped by every configuration error of a reviver.
var ErrConfig = errors.New("reviver: invalid config")

// Config configures a Reviver; the zero value of a field means its
// default.
type Config struct {
	// Registry lists the nodes; those with a restart command are kept
	// running. Required.
	Registry *registry.Registry
	// Out receives every node's output, each line prefixed with its id
	// (default: discarded).
	Out io.Writer
	// Admin is the address of the reviver's own /healthz, /metrics and
	// /events (default: none).
	Admin string
	// CheckEvery is how often each node's /healthz is asked (default
	// DefaultCheckEvery, 250 ms).
	CheckEvery time.Duration
	// DeadAfter is how long a running node may fail its health check
	// before it is killed and restarted (default DefaultDeadAfter, 2 s);
	// StartGrace how long a started node has to answer at all (default
	// DefaultStartGrace, 15 s).
	DeadAfter, StartGrace time.Duration
	// BackoffMin and BackoffMax bound the wait before a restart, which
	// doubles while a node keeps dying (defaults DefaultBackoffMin, 200 ms,
	// and DefaultBackoffMax, 10 s).
	BackoffMin, BackoffMax time.Duration
	// CycleLimit deaths within CycleWindow make a restart cycle (defaults
	// DefaultCycleLimit, 5, and DefaultCycleWindow, 60 s).
	CycleLimit  int
	CycleWindow time.Duration
	// StopGrace bounds how long Stop waits for a node to stop on SIGTERM
	// before it is killed (default DefaultStopGrace, 15 s).
	StopGrace time.Duration
	// AdminToken is what the reviver's own admin actions require, and what
	// it presents to the nodes' (default: the registry's AdminToken).
	AdminToken string
	// State, when set, is a directory the realm's revivers share: two or
	// more revivers with the same State take turns under a lease kept
	// there (one acts, the others stand by), and the nodes run detached so
	// that they outlive a reviver's crash — their process ids, start times
	// and output (logs/ID.log) are kept there too, for the next holder to
	// adopt them. Without State the reviver is alone and its nodes die
	// with it.
	State string
	// ID names this reviver in the lease (default: the host name and
	// process id).
	ID string
	// LeaseTTL is how long a standby waits, having seen the lease
	// unchanged, before it takes over; the holder renews it every third of
	// that (default DefaultLeaseTTL, 3 s).
	LeaseTTL time.Duration
	// OnEvent, if set, hears of every event as it happens, and the events
	// are not logged (it tells them).
	OnEvent func(Event)
	// Logger receives the reviver's logs (default: slog.Default).
	Logger *slog.Logger
}

// withDefaults returns the config with its defaults filled in, or an error
// wrapping ErrConfig that names the field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Registry == nil:
		return c, fmt.Errorf("%w: Registry is required", ErrConfig)
	case c.CheckEvery < 0 || c.DeadAfter < 0 || c.StartGrace < 0 || c.CycleWindow < 0 || c.StopGrace < 0 || c.LeaseTTL < 0:
		return c, fmt.Errorf("%w: CheckEvery, DeadAfter, StartGrace, CycleWindow, StopGrace and LeaseTTL must not be negative", ErrConfig)
	case c.LeaseTTL > 0 && c.LeaseTTL < 300*time.Millisecond:
		return c, fmt.Errorf("%w: LeaseTTL %v: want at least 300ms", ErrConfig, c.LeaseTTL)
	case c.BackoffMin < 0 || c.BackoffMax < 0 || (c.BackoffMax > 0 && c.BackoffMax < c.BackoffMin):
		return c, fmt.Errorf("%w: BackoffMin %v and BackoffMax %v: want 0 ≤ min ≤ max", ErrConfig, c.BackoffMin, c.BackoffMax)
	case c.CycleLimit < 0:
		return c, fmt.Errorf("%w: CycleLimit %d is negative", ErrConfig, c.CycleLimit)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.CheckEvery, DefaultCheckEvery)
	def(&c.DeadAfter, DefaultDeadAfter)
	def(&c.StartGrace, DefaultStartGrace)
	def(&c.BackoffMin, DefaultBackoffMin)
	def(&c.BackoffMax, max(DefaultBackoffMax, c.BackoffMin))
	def(&c.CycleWindow, DefaultCycleWindow)
	def(&c.StopGrace, DefaultStopGrace)
	def(&c.LeaseTTL, DefaultLeaseTTL)
	if c.ID == "" {
		host, _ := os.Hostname()
		c.ID = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if c.CycleLimit == 0 {
		c.CycleLimit = DefaultCycleLimit
	}
	if c.AdminToken == "" {
		c.AdminToken = c.Registry.AdminToken()
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
