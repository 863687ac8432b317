package node

import (
	"container/heap"
	"fmt"
	"time"
)

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
	om := outMsg{seq: q.nextSeq, kind: m.Kind, corr: corr, reply: reply, history: m.History, volatile: m.Volatile || reply,
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
