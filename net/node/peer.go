package node

import (
	"sync"
	"sync/atomic"
	"time"
)

// outMsg is a message waiting for its acknowledgement.
type outMsg struct {
	seq        uint64
	kind       uint16
	corr       uint64
	reply      bool
	history    bool
	replayed   bool
	volatile   bool
	sentUnixMs int64
	payload    []byte
}

// outQueue is one priority's unacknowledged messages, in sequence order.
// msgs[:sent] were written on the current connection.
type outQueue struct {
	msgs    []outMsg
	sent    int
	bytes   int
	nextSeq uint64 // last sequence assigned
	acked   uint64 // highest sequence the peer processed
	written uint64 // highest sequence written on any connection
}

// ack drops what the peer processed up to seq.
func (q *outQueue) ack(seq uint64) {
	if seq <= q.acked {
		return
	}
	q.acked = seq
	k := 0
	for k < len(q.msgs) && q.msgs[k].seq <= seq {
		q.bytes -= len(q.msgs[k].payload)
		q.msgs[k] = outMsg{} // release the payload
		k++
	}
	q.msgs = q.msgs[k:]
	q.sent = max(0, q.sent-k)
}

type historyEntry struct {
	at   time.Time
	prio Priority
	msg  outMsg
}

// peer is everything a node keeps about one other node. It outlives
// connections: queues and sequence state carry over a reconnect.
type peer struct {
	id   string
	gone chan struct{} // closed by RemovePeer
	addr string        // dialed by this node when set

	// install serializes connection changes, so that one reader at a time
	// delivers this peer's messages.
	install sync.Mutex

	mu           sync.Mutex
	out          [numPriorities]outQueue
	history      []historyEntry
	conn         *conn
	remoteInc    uint64 // the peer's incarnation on the last link; 0 = never linked
	historyReq   uint32 // window in ms to ask for on the next write; 0 = none
	askedHistory bool   // HistoryOnConnect was done for this peer

	// Receive side. enqueued is touched only by the one active reader (and
	// by install while no reader runs); delivered by the main loop.
	enqueued  [numPriorities]uint64
	delivered [numPriorities]atomic.Uint64
	ackDirty  atomic.Bool
	// curInc is remoteInc for the main loop, which must not mark a message
	// of an older incarnation of the peer as processed.
	curInc atomic.Uint64

	// wake tells the writer there is something to send.
	wake chan struct{}
}

func newPeer(id, addr string) *peer {
	return &peer{id: id, addr: addr, wake: make(chan struct{}, 1), gone: make(chan struct{})}
}

func (p *peer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// next takes the next message to write: the highest priority first.
func (p *peer) next() (outMsg, Priority, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pr := range p.out {
		q := &p.out[pr]
		if q.sent < len(q.msgs) {
			m := q.msgs[q.sent]
			q.sent++
			return m, Priority(pr), true
		}
	}
	return outMsg{}, 0, false
}

// forgetVolatile drops the unacknowledged volatile messages of every
// queue, for a peer found to be a new incarnation, and numbers the rest
// again after what was acknowledged: none of them reached the new
// incarnation, whose stream starts there. p.mu is held.
func (p *peer) forgetVolatile() (dropped int) {
	for i := range p.out {
		q := &p.out[i]
		kept := q.msgs[:0]
		q.bytes = 0
		for _, m := range q.msgs {
			if m.volatile {
				dropped++
				continue
			}
			m.seq = q.acked + uint64(len(kept)) + 1
			kept = append(kept, m)
			q.bytes += len(m.payload)
		}
		clear(q.msgs[len(kept):])
		q.msgs, q.sent = kept, 0
		q.nextSeq = q.acked + uint64(len(kept))
		q.written = min(q.written, q.acked)
	}
	return dropped
}

// pending counts unacknowledged messages.
func (p *peer) pending() (msgs, bytes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.out {
		msgs += len(p.out[i].msgs)
		bytes += p.out[i].bytes
	}
	return
}

// keepHistory records a history-flagged message; p.mu is held.
func (p *peer) keepHistory(now time.Time, pr Priority, m outMsg, window time.Duration, limit int) {
	p.pruneHistory(now, window)
	if limit <= 0 {
		return
	}
	if len(p.history) >= limit {
		copy(p.history, p.history[1:])
		p.history = p.history[:len(p.history)-1]
	}
	p.history = append(p.history, historyEntry{at: now, prio: pr, msg: m})
}

func (p *peer) pruneHistory(now time.Time, window time.Duration) {
	k := 0
	for k < len(p.history) && now.Sub(p.history[k].at) > window {
		k++
	}
	if k > 0 {
		p.history = append(p.history[:0], p.history[k:]...)
	}
}

// written is the highest sequence ever written for a priority, on any
// connection: a message at or below it is a resend.
func (p *peer) written(pr Priority) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out[pr].written
}

func (p *peer) markWritten(pr Priority, seq uint64) {
	p.mu.Lock()
	if seq > p.out[pr].written {
		p.out[pr].written = seq
	}
	p.mu.Unlock()
}
