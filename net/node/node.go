package node

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Node is one process's link runtime. Create it with New; a Node starts once
// and stops once. Two Nodes can run in one process.
type Node struct {
	cfg         Config
	log         *slog.Logger
	incarnation uint64
	metrics     *metrics
	reg         *prometheus.Registry

	mu      sync.Mutex
	peers   map[string]*peer
	started bool

	inbox chan inboxItem

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

type inboxKind uint8

const (
	itemMessage inboxKind = iota
	itemPeer
)

type inboxItem struct {
	kind inboxKind
	msg  Message
	peer *peer
	inc  uint64 // the sender's incarnation
	ev   PeerEvent
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
		reg:         prometheus.NewRegistry(),
		peers:       map[string]*peer{},
		inbox:       make(chan inboxItem, c.InboxSize),
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
func (n *Node) Metrics() *prometheus.Registry { return n.reg }

// Start listens, dials the configured peers, serves the admin endpoint and,
// with a Handler, runs the main loop. It returns once the listeners are open.
func (n *Node) Start() error {
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return errors.New("node: Start called twice")
	}
	n.started = true
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
	n.log.Info("node started", "role", n.cfg.Role, "realm", n.cfg.Realm, "listen", n.Addr(), "admin", n.AdminAddr())
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

// Send queues a one-way message to a peer and returns at once.
func (n *Node) Send(to string, m Out) error {
	return n.send(to, m, 0, false)
}

// Reply answers a question: a message to its sender with the same
// correlation id, marked as a reply.
func (n *Node) Reply(q Message, m Out) error {
	return n.send(q.From, m, q.Corr, true)
}

func (n *Node) send(to string, m Out, corr uint64, reply bool) error {
	if n.stopped.Load() {
		return ErrStopped
	}
	if m.Priority >= numPriorities {
		return fmt.Errorf("%w: %d", ErrBadPriority, m.Priority)
	}
	if len(m.Payload) > n.cfg.MaxFrame-256 {
		return fmt.Errorf("%w: %d bytes, frame limit %d", ErrTooLarge, len(m.Payload), n.cfg.MaxFrame)
	}
	p := n.peer(to)
	if p == nil {
		return fmt.Errorf("%w: %s", ErrUnknownPeer, to)
	}
	now := time.Now()
	p.mu.Lock()
	q := &p.out[m.Priority]
	if len(q.msgs) >= n.cfg.OutboxMessages || q.bytes+len(m.Payload) > n.cfg.OutboxBytes {
		p.mu.Unlock()
		n.metrics.outboxRejected.WithLabelValues(to, m.Priority.String()).Inc()
		return fmt.Errorf("%w: %s %s: %d messages, %d bytes queued", ErrOutboxFull, to, m.Priority, len(q.msgs), q.bytes)
	}
	q.nextSeq++
	om := outMsg{seq: q.nextSeq, kind: m.Kind, corr: corr, reply: reply, history: m.History,
		sentUnixMs: now.UnixMilli(), payload: append([]byte(nil), m.Payload...)}
	q.msgs = append(q.msgs, om)
	q.bytes += len(om.payload)
	if m.History {
		p.keepHistory(now, m.Priority, om, n.cfg.HistoryWindow, n.cfg.HistoryMessages)
	}
	p.mu.Unlock()
	p.signal()
	return nil
}

// Ask sends a question and calls done with the answer, or with ErrTimeout
// when none came within timeout. done runs on the main loop.
func (n *Node) Ask(to string, m Out, timeout time.Duration, done func(Message, error)) error {
	corr := n.corr.Add(1)
	a := &ask{corr: corr, deadline: time.Now().Add(timeout), done: done}
	n.asksMu.Lock()
	heap.Push(&n.asks, a)
	n.askByID[corr] = a
	n.asksMu.Unlock()
	if err := n.send(to, m, corr, false); err != nil {
		n.takeAsk(corr)
		return err
	}
	return nil
}

// After runs fn on the main loop once d has passed: a timer for handlers,
// which must never sleep.
func (n *Node) After(d time.Duration, fn func()) {
	a := &ask{corr: 0, deadline: time.Now().Add(d), done: func(Message, error) { fn() }, timer: true}
	n.asksMu.Lock()
	heap.Push(&n.asks, a)
	n.asksMu.Unlock()
}

// RequestHistory asks a peer to resend its history-flagged messages of the
// last window (at most Config.HistoryWindow), now or on the next link.
func (n *Node) RequestHistory(peerID string, window time.Duration) error {
	p := n.peer(peerID)
	if p == nil {
		return fmt.Errorf("%w: %s", ErrUnknownPeer, peerID)
	}
	ms := uint32(min(window, n.cfg.HistoryWindow) / time.Millisecond)
	p.mu.Lock()
	p.historyReq = max(ms, 1)
	p.mu.Unlock()
	p.signal()
	return nil
}

// Poll runs the main loop's work for a node without a Handler: it handles
// at most max waiting items with h and expires unanswered questions, without
// blocking. It returns how many items it handled.
func (n *Node) Poll(h Handler, max int) int {
	k := 0
	for ; k < max; k++ {
		select {
		case it := <-n.inbox:
			n.dispatch(h, it)
		default:
			n.expireAsks(h, time.Now())
			return k
		}
	}
	n.expireAsks(h, time.Now())
	return k
}

func (n *Node) loop() {
	defer close(n.loopDone)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	h := n.cfg.Handler
	for {
		select {
		case it := <-n.inbox:
			n.dispatch(h, it)
		case now := <-t.C:
			n.expireAsks(h, now)
			if n.draining.Load() && len(n.inbox) == 0 {
				return
			}
		}
	}
}

// dispatch handles one inbox item on the main loop and marks a message
// processed, which is what the next ack reports.
func (n *Node) dispatch(h Handler, it inboxItem) {
	switch it.kind {
	case itemPeer:
		n.safely(it.ev.Peer, func() {
			if h != nil {
				h.HandlePeer(n, it.ev)
			}
		})
	case itemMessage:
		m := it.msg
		if a := n.answerFor(m); a != nil {
			n.safely(m.From, func() { a.done(m, nil) })
		} else if h != nil {
			n.safely(m.From, func() { h.HandleMessage(n, m) })
		}
		if it.peer.curInc.Load() == it.inc {
			it.peer.delivered[m.Priority].Store(m.Seq)
			it.peer.ackDirty.Store(true)
			it.peer.signal()
		}
	}
}

// safely runs a handler; a panic there is a bug of this node, logged with
// its stack and counted, and the node goes on with the next message.
func (n *Node) safely(from string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			n.metrics.handlerPanics.Inc()
			n.log.Error("handler panicked", "peer", from, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f()
}

func (n *Node) answerFor(m Message) *ask {
	if !m.Reply || m.Corr == 0 {
		return nil
	}
	return n.takeAsk(m.Corr)
}

func (n *Node) takeAsk(corr uint64) *ask {
	n.asksMu.Lock()
	defer n.asksMu.Unlock()
	a, ok := n.askByID[corr]
	if !ok {
		return nil
	}
	delete(n.askByID, corr)
	heap.Remove(&n.asks, a.index)
	return a
}

func (n *Node) expireAsks(h Handler, now time.Time) {
	for {
		n.asksMu.Lock()
		if len(n.asks) == 0 || n.asks[0].deadline.After(now) {
			n.asksMu.Unlock()
			return
		}
		a := heap.Pop(&n.asks).(*ask)
		if !a.timer {
			delete(n.askByID, a.corr)
		}
		n.asksMu.Unlock()
		if !a.timer {
			n.metrics.rpcTimeouts.Inc()
		}
		n.safely("", func() { a.done(Message{Corr: a.corr}, ErrTimeout) })
	}
}

// deliver puts an item in the inbox, waiting while it is full, unless the
// connection closes first. It reports whether the item was delivered.
func (n *Node) deliver(it inboxItem, done <-chan struct{}) bool {
	select {
	case n.inbox <- it:
		return true
	default:
	}
	select {
	case n.inbox <- it:
		return true
	case <-done:
		return false
	}
}

// Stop stops the node gracefully: no new links; what was received is
// processed and acknowledged; what was sent gets up to StopTimeout to be
// acknowledged; every link says goodbye. Safe to call more than once.
func (n *Node) Stop() {
	if !n.stopping.CompareAndSwap(false, true) {
		return
	}
	n.closeListeners()
	n.draining.Store(true)
	<-n.loopDone
	if n.cfg.Handler == nil {
		for n.Poll(nil, 1<<20) > 0 {
		}
	}
	if n.cfg.OnDrain != nil {
		n.cfg.OnDrain()
	}
	n.stopped.Store(true)
	n.flushAcks()
	n.waitAcked(n.cfg.StopTimeout)
	for _, p := range n.allPeers() {
		p.mu.Lock()
		c := p.conn
		p.mu.Unlock()
		if c != nil {
			c.goodbye("node stopping")
		}
	}
	n.cancel()
	n.bg.Wait()
	n.conns.Wait()
	n.stopAdmin()
	n.log.Info("node stopped")
}

// Kill stops the node the way a crash would: sockets close at once, nothing
// is drained or acknowledged. For tests of crash recovery.
func (n *Node) Kill() {
	if !n.stopping.CompareAndSwap(false, true) {
		return
	}
	n.stopped.Store(true)
	n.draining.Store(true)
	n.closeListeners()
	n.cancel()
	for _, p := range n.allPeers() {
		p.mu.Lock()
		c := p.conn
		p.mu.Unlock()
		if c != nil {
			c.close("killed")
		}
	}
	n.bg.Wait()
	n.conns.Wait()
	n.stopAdmin()
}

func (n *Node) closeListeners() {
	if n.listener != nil {
		n.listener.Close()
	}
}

func (n *Node) allPeers() []*peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	ps := make([]*peer, 0, len(n.peers))
	for _, p := range n.peers {
		ps = append(ps, p)
	}
	return ps
}

// flushAcks makes every writer send its final acks now.
func (n *Node) flushAcks() {
	for _, p := range n.allPeers() {
		p.ackDirty.Store(true)
		p.signal()
	}
}

// waitAcked waits until every peer with a link acknowledged all it was sent,
// or the timeout passes.
func (n *Node) waitAcked(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		waiting := false
		for _, p := range n.allPeers() {
			p.mu.Lock()
			linked := p.conn != nil
			p.mu.Unlock()
			if msgs, _ := p.pending(); linked && msgs > 0 {
				waiting = true
			}
		}
		if !waiting {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ask is a question waiting for its answer.
type ask struct {
	corr     uint64
	deadline time.Time
	done     func(Message, error)
	index    int
	timer    bool // After, not a question
}

type askHeap []*ask

func (h askHeap) Len() int           { return len(h) }
func (h askHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h askHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *askHeap) Push(x any) {
	a := x.(*ask)
	a.index = len(*h)
	*h = append(*h, a)
}
func (h *askHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return a
}
