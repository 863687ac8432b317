package node

import (
	"time"
)

// Stop stops the node gracefully: no new links; what was received is
// processed by the Handler and acknowledged (a node without a Handler
// acknowledges only what its owner polled: the rest is resent to the next
// incarnation); what was sent gets up to StopTimeout to be acknowledged;
// every link says goodbye. Safe to call more than once.
func (n *Node) Stop() {
	if !n.stopping.CompareAndSwap(false, true) {
		return
	}
	n.closeListeners()
	n.draining.Store(true)
	// With a Handler the main loop drains the inbox before it ends. A
	// poll-mode node's owner has stopped polling: what it did not take stays
	// unacknowledged, and its senders resend it to the next incarnation.
	<-n.loopDone
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
