package node

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"
)

func (n *Node) acceptLoop() {
	defer n.bg.Done()
	for {
		nc, err := n.listener.Accept()
		if err != nil {
			if n.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			n.log.Warn("accept failed", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		n.conns.Add(1)
		go func() {
			defer n.conns.Done()
			n.serveInbound(nc)
		}()
	}
}

func (n *Node) serveInbound(raw net.Conn) {
	tlsDeadline(raw, n.cfg.HandshakeTimeout)
	nc, err := n.secureAccept(raw)
	if err != nil {
		n.refused(raw, err)
		raw.Close()
		return
	}
	c, res, err := n.handshake(nc, "")
	if err != nil {
		n.refused(nc, err)
		nc.Close()
		return
	}
	n.install(c, n.peerFor(res.hello.NodeID), res)
}

func (n *Node) refused(nc net.Conn, err error) {
	if errors.Is(err, errDuplicateLink) || strings.Contains(err.Error(), "peer refused: duplicate link") {
		return // the expected outcome when both sides dial
	}
	reason := "handshake"
	switch {
	case errors.Is(err, ErrBadProof):
		reason = "secret"
		n.log.Error("link refused: peer does not know the cluster secret", "remote", nc.RemoteAddr().String(), "err", err)
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		// The dialer hung up before its hello: a peer that is stopping,
		// or gave up. Routine while a realm stops; not worth a warning.
		reason = "abandoned"
		n.log.Debug("link abandoned before its hello", "remote", nc.RemoteAddr().String(), "err", err)
	default:
		n.log.Warn("link refused", "remote", nc.RemoteAddr().String(), "err", err)
	}
	n.metrics.helloRefused.WithLabelValues(reason).Inc()
}

// dialLoop keeps one link to p up while the node runs.
func (n *Node) dialLoop(p *peer) {
	defer n.bg.Done()
	const minBackoff, maxBackoff = 20 * time.Millisecond, time.Second
	backoff := minBackoff
	d := net.Dialer{Timeout: n.cfg.HandshakeTimeout}
	for n.ctx.Err() == nil {
		select {
		case <-p.gone:
			return
		default:
		}
		p.mu.Lock()
		cur := p.conn
		p.mu.Unlock()
		if cur != nil {
			select {
			case <-cur.done:
				continue
			case <-n.ctx.Done():
				return
			case <-p.gone:
				return
			}
		}
		nc, err := d.DialContext(n.ctx, "tcp", p.addr)
		if err == nil {
			raw := nc
			if nc, err = n.secureDial(n.ctx, nc, p.id); err != nil {
				n.refused(raw, err)
				raw.Close()
			}
		}
		if err == nil {
			var c *conn
			var res *handshakeResult
			c, res, err = n.handshake(nc, p.id)
			if err == nil {
				backoff = minBackoff
				n.install(c, p, res)
				continue
			}
			n.refused(nc, err)
			nc.Close()
		}
		// Jittered backoff, so that a restarted node is not hit by every
		// peer at the same instant.
		sleep := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, maxBackoff)
		select {
		case <-time.After(sleep):
		case <-n.ctx.Done():
			return
		case <-p.gone:
			return
		}
	}
}

// install makes c the peer's link: the old one (if any) is closed and its
// goroutines have ended before c's reader starts, so one reader at a time
// delivers the peer's messages; then both streams resume where the
// handshake said.
func (n *Node) install(c *conn, p *peer, res *handshakeResult) {
	p.install.Lock()
	defer p.install.Unlock()
	if n.stopping.Load() {
		c.close("node stopping")
		return
	}
	select {
	case <-p.gone:
		c.close("peer removed")
		return
	default:
	}
	p.mu.Lock()
	old := p.conn
	p.mu.Unlock()
	if old != nil {
		old.close("replaced by a new link")
		old.wait()
	}

	c.p = p
	c.inc = res.hello.Incarnation
	p.mu.Lock()
	restarted := p.remoteInc != 0 && p.remoteInc != c.inc
	if restarted {
		// What the old incarnation did not acknowledge and was only for it
		// is dropped; the rest is numbered again from what it acknowledged
		// (the base this side announced).
		if dropped := p.forgetVolatile(); dropped > 0 {
			n.metrics.volatileDropped.WithLabelValues(p.id).Add(float64(dropped))
		}
	}
	if p.remoteInc != c.inc {
		// A new incarnation of the peer (or the first link): its stream to
		// this node starts after what it knows this node processed.
		for i := range p.enqueued {
			p.enqueued[i] = res.base[i]
			p.delivered[i].Store(res.base[i])
		}
		p.remoteInc = c.inc
		p.curInc.Store(c.inc)
	}
	for i := range p.out {
		p.out[i].ack(res.delivered[i])
		p.out[i].sent = 0 // resend everything not acknowledged
	}
	if n.cfg.HistoryOnConnect && !p.askedHistory {
		p.askedHistory = true
		p.historyReq = uint32(n.cfg.HistoryWindow / time.Millisecond)
	}
	p.conn = c
	p.mu.Unlock()

	n.metrics.peersUp.Inc()
	n.log.Info("link up", "peer", p.id, "remote", c.nc.RemoteAddr().String(), "restarted", restarted)
	c.start()
	p.signal()
	n.deliver(inboxItem{kind: itemPeer, ev: PeerEvent{Peer: p.id, Up: true, Restarted: restarted}}, n.ctx.Done())
}

// replayHistory queues again, marked Replayed, the history-flagged messages
// of the last window, for a peer that asked.
func (n *Node) replayHistory(p *peer, window time.Duration) {
	now := time.Now()
	p.mu.Lock()
	p.pruneHistory(now, n.cfg.HistoryWindow)
	count := 0
	for _, h := range p.history {
		if now.Sub(h.at) > window {
			continue
		}
		q := &p.out[h.prio]
		if len(q.msgs) >= n.cfg.OutboxMessages || q.bytes+len(h.msg.payload) > n.cfg.OutboxBytes {
			n.metrics.outboxRejected.WithLabelValues(p.id, h.prio.String()).Inc()
			continue
		}
		q.nextSeq++
		m := h.msg
		m.seq, m.replayed, m.corr, m.reply = q.nextSeq, true, 0, false
		q.msgs = append(q.msgs, m)
		q.bytes += len(m.payload)
		count++
	}
	p.mu.Unlock()
	p.signal()
	n.log.Info("history replayed", "peer", p.id, "messages", count, "window", window)
}
