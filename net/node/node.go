package node

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/net/metrics"
)

// Node is one process's link runtime. Create it with New; a Node starts once
// and stops once. Two Nodes can run in one process.
type Node struct {
	cfg         Config
	log         *slog.Logger
	incarnation uint64
	startedAt   time.Time // for /healthz's uptime
	metrics     *linkMetrics
	reg         *metrics.Registry

	mu      sync.Mutex
	peers   map[string]*peer
	started bool

	// The inbox: control messages and link events, then the rest. The main
	// loop takes from inboxCtl first, so that a backlog of gameplay state
	// never delays an answer or a link event.
	inboxCtl, inbox chan inboxItem

	asksMu  sync.Mutex
	asks    askHeap
	askByID map[uint64]*ask
	corr    atomic.Uint64

	listener net.Listener
	admin    *http.Server
	adminMux *http.ServeMux
	adminLn  net.Listener

	ctx      context.Context // cancelled by Stop and Kill
	cancel   context.CancelFunc
	draining atomic.Bool    // readers stop delivering; the main loop drains
	stopping atomic.Bool    // Stop or Kill began
	stopped  atomic.Bool    // Send refuses
	bg       sync.WaitGroup // accept and dial loops
	conns    sync.WaitGroup // connection goroutines
	loopDone chan struct{}
}

// New checks cfg and returns a node that has not started.
func New(cfg Config) (*Node, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var inc [8]byte
	if _, err := rand.Read(inc[:]); err != nil {
		return nil, fmt.Errorf("node %s: incarnation: %w", c.ID, err)
	}
	n := &Node{
		cfg:         c,
		log:         c.Logger,
		incarnation: binary.LittleEndian.Uint64(inc[:]) | 1, // never 0, which means "unknown"
		reg:         metrics.NewRegistry(),
		peers:       map[string]*peer{},
		inbox:       make(chan inboxItem, c.InboxSize),
		inboxCtl:    make(chan inboxItem, c.InboxSize),
		askByID:     map[uint64]*ask{},
		adminMux:    http.NewServeMux(),
		loopDone:    make(chan struct{}),
	}
	n.metrics = newMetrics(n)
	for _, p := range c.Peers {
		n.peers[p.ID] = newPeer(p.ID, p.Addr)
	}
	return n, nil
}

// ID returns the node's id.
func (n *Node) ID() string { return n.cfg.ID }

// Logger returns the node's logger.
func (n *Node) Logger() *slog.Logger { return n.log }

// Metrics returns the node's Prometheus registry, served at /metrics; the
// component that owns the node registers its own metrics here.
func (n *Node) Metrics() *metrics.Registry { return n.reg }

// Start listens, dials the configured peers, serves the admin endpoint and,
// with a Handler, runs the main loop. It returns once the listeners are open.
func (n *Node) Start() error {
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return errors.New("node: Start called twice")
	}
	n.started = true
	n.startedAt = time.Now()
	n.mu.Unlock()
	n.ctx, n.cancel = context.WithCancel(context.Background())

	if n.cfg.Listen != "" {
		ln, err := net.Listen("tcp", n.cfg.Listen)
		if err != nil {
			n.cancel()
			return fmt.Errorf("node %s: listen %s: %w", n.cfg.ID, n.cfg.Listen, err)
		}
		n.listener = ln
		n.bg.Add(1)
		go n.acceptLoop()
	}
	if err := n.startAdmin(); err != nil {
		n.cancel()
		if n.listener != nil {
			n.listener.Close()
		}
		return err
	}
	n.mu.Lock()
	for _, p := range n.peers {
		if p.addr != "" {
			n.bg.Add(1)
			go n.dialLoop(p)
		}
	}
	n.mu.Unlock()
	if n.cfg.Handler != nil {
		go n.loop()
	} else {
		close(n.loopDone)
	}
	n.log.Info("node started", "role", n.cfg.Role, "realm", n.cfg.Realm, "listen", n.Addr(), "admin", n.AdminAddr(), "link_tls", n.cfg.TLS != nil)
	return nil
}

// Addr returns the link listener's address, or "" without one.
func (n *Node) Addr() string {
	if n.listener == nil {
		return ""
	}
	return n.listener.Addr().String()
}

// AdminAddr returns the admin endpoint's address, or "" when disabled.
func (n *Node) AdminAddr() string {
	if n.adminLn == nil {
		return ""
	}
	return n.adminLn.Addr().String()
}

// AddPeer makes the node dial another node, now and after every drop.
func (n *Node) AddPeer(id, addr string) error {
	if id == "" || addr == "" || id == n.cfg.ID {
		return fmt.Errorf("%w: peer %q at %q", ErrConfig, id, addr)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.peers[id]
	if ok && p.addr != "" {
		return fmt.Errorf("%w: peer %q is dialed already", ErrConfig, id)
	}
	if !ok {
		p = newPeer(id, addr)
		n.peers[id] = p
	}
	p.addr = addr
	if n.started && !n.stopped.Load() {
		n.bg.Add(1)
		go n.dialLoop(p)
	}
	return nil
}

// RemovePeer forgets a peer: its link closes, dialing it stops, and what
// was queued for it is dropped. For peers that come and go, such as the
// game servers of a fleet; a node that dials in later is a new peer.
func (n *Node) RemovePeer(id string) {
	n.mu.Lock()
	p := n.peers[id]
	delete(n.peers, id)
	n.mu.Unlock()
	if p == nil {
		return
	}
	close(p.gone)
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c != nil {
		c.close("peer removed")
	}
}

func (n *Node) peer(id string) *peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.peers[id]
}

// peerFor returns the peer, creating it for a node that dialed us.
func (n *Node) peerFor(id string) *peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.peers[id]
	if !ok {
		p = newPeer(id, "")
		n.peers[id] = p
	}
	return p
}

// Connected reports whether a link to the peer is up.
func (n *Node) Connected(id string) bool {
	p := n.peer(id)
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn != nil
}
