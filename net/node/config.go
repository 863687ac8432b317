package node

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// Config configures a Node. The zero value of every field except ID and
// Secret means its default.
type Config struct {
	// ID is the node's unique id in the registry. Required.
	ID string
	// Role and Realm are announced to peers and shown by /healthz.
	Role  registry.Role
	Realm string
	// Secret is the cluster secret, at least registry.MinSecret bytes.
	Secret []byte

	// Listen is the TCP address for links (default: none; the node only dials).
	Listen string
	// TLS, when set, encrypts and mutually authenticates every link with
	// the cluster's CA (LinkTLS); both ends of a link must have it.
	TLS *LinkTLS
	// Admin is the admin HTTP address (default "127.0.0.1:0"; "-" disables it).
	Admin string
	// AdminToken, when set, is what an admin action (HandleAction) must
	// present as "Authorization: Bearer TOKEN" (registry.AdminToken);
	// without it, actions are refused.
	AdminToken string
	// Peers are the nodes this node dials, and keeps dialing while it runs.
	Peers []Peer

	// Handler receives messages on the node's own main loop. Without one,
	// the owner calls Poll from its loop.
	Handler Handler

	// HeartbeatInterval is how often a link sends a heartbeat (default 500 ms).
	HeartbeatInterval time.Duration
	// DeadAfter is how long a link may be silent before it is closed
	// (default 3 s).
	DeadAfter time.Duration
	// HandshakeTimeout bounds the hello exchange (default 5 s).
	HandshakeTimeout time.Duration
	// MaxFrame is the largest frame accepted or sent (default 1 MiB).
	MaxFrame int
	// InboxSize is how many received messages may wait for the main loop
	// (default 4096). A full inbox stops the readers: back-pressure, no loss.
	InboxSize int
	// OutboxMessages and OutboxBytes bound each peer's queue per priority
	// (defaults 65,536 messages and 64 MiB). A Send beyond them fails with
	// ErrOutboxFull and is counted: the caller decides what to drop.
	OutboxMessages int
	OutboxBytes    int
	// HistoryWindow is how long history-flagged messages are kept (default
	// 10 min); HistoryMessages bounds how many per peer (default 10,000).
	HistoryWindow   time.Duration
	HistoryMessages int
	// HistoryOnConnect asks every peer for its history on the first link
	// after Start: what a restarted node wants.
	HistoryOnConnect bool
	// SocketBuffer is the kernel send and receive buffer of each link
	// socket (default 256 KiB). Priorities act only on what is not yet in
	// the kernel: a large buffer lets a bulk backlog sit ahead of a control
	// message on the wire.
	SocketBuffer int
	// StopTimeout bounds how long Stop waits for peers to acknowledge what
	// this node sent (default 2 s).
	StopTimeout time.Duration
	// OnDrain, if set, runs during Stop after the main loop processed every
	// received message and before the links close: the owner finishes
	// work it queued (sending works until it returns).
	OnDrain func()
	// Logger receives the node's logs (default: slog.Default with node=ID).
	Logger *slog.Logger
}

// Peer is a node to dial.
type Peer struct {
	ID, Addr string
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("invalid node config")

func (c *Config) withDefaults() (Config, error) {
	d := *c
	if d.ID == "" {
		return d, fmt.Errorf("%w: ID is required", ErrConfig)
	}
	if len(d.Secret) < registry.MinSecret {
		return d, fmt.Errorf("%w: Secret is %d bytes, at least %d needed", ErrConfig, len(d.Secret), registry.MinSecret)
	}
	def := func(v *time.Duration, x time.Duration) {
		if *v == 0 {
			*v = x
		}
	}
	defInt := func(v *int, x int) {
		if *v == 0 {
			*v = x
		}
	}
	def(&d.HeartbeatInterval, 500*time.Millisecond)
	def(&d.DeadAfter, 3*time.Second)
	def(&d.HandshakeTimeout, 5*time.Second)
	def(&d.HistoryWindow, 10*time.Minute)
	def(&d.StopTimeout, 2*time.Second)
	defInt(&d.MaxFrame, 1<<20)
	defInt(&d.InboxSize, 4096)
	defInt(&d.OutboxMessages, 1<<16)
	defInt(&d.OutboxBytes, 64<<20)
	defInt(&d.HistoryMessages, 10000)
	defInt(&d.SocketBuffer, 256<<10)
	if d.Admin == "" {
		d.Admin = "127.0.0.1:0"
	}
	switch {
	case d.HeartbeatInterval < 0 || d.DeadAfter < 0 || d.HandshakeTimeout < 0 || d.HistoryWindow < 0 || d.StopTimeout < 0:
		return d, fmt.Errorf("%w: durations must not be negative", ErrConfig)
	case d.DeadAfter <= d.HeartbeatInterval:
		return d, fmt.Errorf("%w: DeadAfter (%v) must exceed HeartbeatInterval (%v)", ErrConfig, d.DeadAfter, d.HeartbeatInterval)
	case d.MaxFrame < 1024:
		return d, fmt.Errorf("%w: MaxFrame %d is below 1024", ErrConfig, d.MaxFrame)
	case d.InboxSize < 0 || d.OutboxMessages < 0 || d.OutboxBytes < 0 || d.HistoryMessages < 0:
		return d, fmt.Errorf("%w: sizes must not be negative", ErrConfig)
	}
	seen := map[string]bool{}
	for _, p := range d.Peers {
		if p.ID == "" || p.Addr == "" || p.ID == d.ID || seen[p.ID] {
			return d, fmt.Errorf("%w: peer %q at %q: need a unique id other than this node's, and an address", ErrConfig, p.ID, p.Addr)
		}
		seen[p.ID] = true
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	d.Logger = d.Logger.With("node", d.ID)
	return d, nil
}
