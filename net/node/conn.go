package node

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/frame"
	"github.com/gridrealm/gridrealm/net/wire"
)

// conn is one TCP connection of a link: a reader and a writer goroutine.
type conn struct {
	n      *Node
	p      *peer
	peerID string
	nc     net.Conn
	r      *frame.Reader
	w      *frame.Writer
	enc    *codec.NodeEncoder
	inc    uint64 // the peer's incarnation on this connection

	done      chan struct{}
	closeOnce sync.Once
	reason    string
	byeReq    chan string
	wg        sync.WaitGroup

	framesIn, framesOut, bytesIn, bytesOut, resent, dups prometheus.Counter
}

func newConn(n *Node, nc net.Conn) *conn {
	raw := nc
	if tc, ok := nc.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetWriteBuffer(n.cfg.SocketBuffer)
		tcp.SetReadBuffer(n.cfg.SocketBuffer)
		tcp.SetNoDelay(true)
	}
	return &conn{
		n: n, nc: nc,
		r:      frame.NewReader(nc, n.cfg.MaxFrame),
		w:      frame.NewWriter(nc, n.cfg.MaxFrame),
		enc:    codec.NewNodeEncoder(),
		done:   make(chan struct{}),
		byeReq: make(chan string, 1),
	}
}

// writeNow writes and flushes one frame (handshake only).
func (c *conn) writeNow(b []byte) error {
	if err := c.w.Write(b); err != nil {
		return err
	}
	return c.w.Flush()
}

// close ends the connection once; the first reason wins.
func (c *conn) close(reason string) {
	c.closeOnce.Do(func() {
		c.reason = reason
		close(c.done)
		c.nc.Close()
		if c.p == nil {
			return
		}
		c.p.mu.Lock()
		current := c.p.conn == c
		if current {
			c.p.conn = nil
		}
		c.p.mu.Unlock()
		if current {
			c.n.metrics.peersUp.Dec()
			c.n.metrics.linkDrops.WithLabelValues(c.peerID).Inc()
			c.n.log.Info("link down", "peer", c.peerID, "reason", reason)
		}
	})
}

// goodbye asks the writer to send the final acks and a Bye, then to stop
// writing; the reader drains until the peer closes.
func (c *conn) goodbye(reason string) {
	select {
	case c.byeReq <- reason:
	default:
	}
	select {
	case <-c.done:
	case <-time.After(c.n.cfg.StopTimeout):
		c.close("peer did not close after goodbye")
	}
}

func (c *conn) start() {
	m := c.n.metrics
	c.framesIn, c.framesOut = m.framesIn.WithLabelValues(c.peerID), m.framesOut.WithLabelValues(c.peerID)
	c.bytesIn, c.bytesOut = m.bytesIn.WithLabelValues(c.peerID), m.bytesOut.WithLabelValues(c.peerID)
	c.resent, c.dups = m.resent.WithLabelValues(c.peerID), m.duplicates.WithLabelValues(c.peerID)
	c.wg.Add(2)
	c.n.conns.Add(2)
	go c.readLoop()
	go c.writeLoop()
}

func (c *conn) wait() { c.wg.Wait() }

// readLoop decodes frames until the connection ends. Dead peers are found
// by the read deadline: a live peer sends a heartbeat every interval.
func (c *conn) readLoop() {
	defer c.n.conns.Done()
	defer c.wg.Done()
	reason := c.read()
	c.close(reason)
	c.n.deliver(inboxItem{kind: itemPeer, ev: PeerEvent{Peer: c.peerID, Up: false, Reason: c.reason}}, c.n.ctx.Done())
}

func (c *conn) read() string {
	n, p := c.n, c.p
	var deadlineSet time.Time
	var f wire.NodeFrame
	for {
		if now := time.Now(); now.Sub(deadlineSet) > n.cfg.DeadAfter/4 {
			c.nc.SetReadDeadline(now.Add(n.cfg.DeadAfter))
			deadlineSet = now
		}
		b, err := c.r.Next()
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				return "no heartbeat for " + n.cfg.DeadAfter.String()
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
				return "connection closed"
			case errors.Is(err, frame.ErrTooLarge), errors.Is(err, frame.ErrEmpty):
				n.metrics.badFrames.WithLabelValues(c.peerID).Inc()
				n.log.Warn("peer sent a bad frame", "peer", c.peerID, "err", err)
				return "bad frame: " + err.Error()
			default:
				return "read: " + err.Error()
			}
		}
		c.framesIn.Inc()
		c.bytesIn.Add(float64(len(b) + frame.HeaderSize))
		if err := codec.DecodeNodeFrame(b, n.cfg.MaxFrame, &f); err != nil {
			n.metrics.badFrames.WithLabelValues(c.peerID).Inc()
			n.log.Warn("peer sent a bad frame", "peer", c.peerID, "err", err)
			return "bad frame: " + err.Error()
		}
		switch f.BodyType() {
		case wire.NodeBodyHeartbeat:
		case wire.NodeBodyAck:
			var a wire.Ack
			codec.Member(f.Body, &a)
			p.mu.Lock()
			for i := 0; i < min(a.DeliveredLength(), numPriorities); i++ {
				p.out[i].ack(a.Delivered(i))
			}
			p.mu.Unlock()
		case wire.NodeBodyEnvelope:
			if reason := c.receive(&f); reason != "" {
				return reason
			}
		case wire.NodeBodyHistoryRequest:
			var h wire.HistoryRequest
			codec.Member(f.Body, &h)
			n.replayHistory(p, time.Duration(h.WindowMs())*time.Millisecond)
		case wire.NodeBodyBye:
			var bye wire.Bye
			codec.Member(f.Body, &bye)
			return "peer said goodbye: " + string(bye.Reason())
		default:
			n.metrics.badFrames.WithLabelValues(c.peerID).Inc()
			return "unexpected " + f.BodyType().String() + " after the handshake"
		}
	}
}

// receive hands one envelope to the main loop, dropping duplicates. It
// returns a reason to close the connection, or "".
func (c *conn) receive(f *wire.NodeFrame) string {
	n, p := c.n, c.p
	var we wire.Envelope
	codec.Member(f.Body, &we)
	env := codec.ReadEnvelope(&we)
	pr := env.Priority
	if pr >= numPriorities {
		n.metrics.badFrames.WithLabelValues(c.peerID).Inc()
		return "envelope with unknown priority " + pr.String()
	}
	if env.Seq <= p.enqueued[pr] {
		c.dups.Inc()
		return ""
	}
	if n.draining.Load() {
		// Stopping: not processed, so not acknowledged; the peer resends it
		// to this node's next incarnation.
		return ""
	}
	if env.Seq != p.enqueued[pr]+1 {
		n.metrics.badFrames.WithLabelValues(c.peerID).Inc()
		return "sequence gap in " + pr.String()
	}
	m := Message{From: c.peerID, Kind: env.Kind, Priority: pr, Corr: env.Correlation, Reply: env.Reply,
		History: env.History, Replayed: env.Replayed, Seq: env.Seq, SentAt: time.UnixMilli(env.SentUnixMs),
		Payload: append([]byte(nil), env.Payload...)}
	if !n.deliver(inboxItem{kind: itemMessage, msg: m, peer: p, inc: c.inc}, c.done) {
		return "connection closed"
	}
	p.enqueued[pr] = env.Seq
	return ""
}

// writeLoop sends heartbeats, acks and queued messages, highest priority
// first, until the connection ends.
func (c *conn) writeLoop() {
	defer c.n.conns.Done()
	defer c.wg.Done()
	tick := time.NewTicker(c.n.cfg.HeartbeatInterval)
	defer tick.Stop()
	// ackSent starts at zero: the first ack on a link repeats what the
	// handshake said, which is harmless, while starting from delivered
	// would skip messages processed before this goroutine ran.
	var st writeState
	c.p.ackDirty.Store(true)
	for {
		if err := c.writeBatch(&st); err != nil {
			c.close("write: " + err.Error())
			return
		}
		select {
		case <-c.p.wake:
		case <-tick.C:
		case reason := <-c.byeReq:
			c.p.ackDirty.Store(true)
			err := c.writeBatch(&st)
			if err == nil {
				err = c.writeNow(c.enc.Bye(reason))
			}
			if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && err == nil {
				cw.CloseWrite() // TCP's FIN, or TLS's close_notify and then it
			}
			c.nc.SetReadDeadline(time.Now().Add(c.n.cfg.StopTimeout))
			return
		case <-c.done:
			return
		}
	}
}

type writeState struct {
	lastHeartbeat time.Time
	ackSent       [numPriorities]uint64
}

// writeBatch writes everything there is to write now. Heartbeats and acks
// are checked before every message, so a backlog never delays them.
func (c *conn) writeBatch(st *writeState) error {
	p := c.p
	yielded := false
	for {
		if err := c.writeControl(st); err != nil {
			return err
		}
		m, pr, ok := p.next()
		if !ok && !yielded && c.w.Buffered() > 0 {
			// Before a flush (one syscall), let the goroutines that are about
			// to queue more (workers answering, a tick publishing) do so:
			// under load this turns one write per message into one per batch.
			yielded = true
			runtime.Gosched()
			m, pr, ok = p.next()
		}
		if !ok {
			break
		}
		if m.seq <= p.written(pr) {
			c.resent.Inc()
		}
		env := codec.Envelope{Kind: m.kind, Correlation: m.corr, Priority: pr, History: m.history, Reply: m.reply,
			Replayed: m.replayed, Seq: m.seq, SentUnixMs: m.sentUnixMs, Payload: m.payload}
		if err := c.write(c.enc.Envelope(&env)); err != nil {
			return err
		}
		p.markWritten(pr, m.seq)
	}
	if c.w.Buffered() > 0 {
		return c.w.Flush()
	}
	return nil
}

func (c *conn) writeControl(st *writeState) error {
	p := c.p
	if now := time.Now(); now.Sub(st.lastHeartbeat) >= c.n.cfg.HeartbeatInterval {
		st.lastHeartbeat = now
		if err := c.write(c.enc.Heartbeat(now.UnixNano())); err != nil {
			return err
		}
	}
	if p.ackDirty.Swap(false) {
		var d [numPriorities]uint64
		changed := false
		for i := range d {
			d[i] = p.delivered[i].Load()
			changed = changed || d[i] != st.ackSent[i]
		}
		if changed {
			if err := c.write(c.enc.Ack(d[:])); err != nil {
				return err
			}
			st.ackSent = d
		}
	}
	p.mu.Lock()
	req := p.historyReq
	p.historyReq = 0
	p.mu.Unlock()
	if req > 0 {
		return c.write(c.enc.HistoryRequest(req))
	}
	return nil
}

func (c *conn) write(b []byte) error {
	c.framesOut.Inc()
	c.bytesOut.Add(float64(len(b) + frame.HeaderSize))
	return c.w.Write(b)
}
