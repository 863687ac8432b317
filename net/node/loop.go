package node

import (
	"container/heap"
	"runtime/debug"
	"sync/atomic"
	"time"
)

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

// Poll runs the main loop's work for a node without a Handler: it handles
// at most max waiting items with h and expires unanswered questions, without
// blocking. It returns how many items it handled.
func (n *Node) Poll(h Handler, max int) int {
	k := 0
	for ; k < max; k++ {
		it, ok := n.take()
		if !ok {
			break
		}
		n.dispatch(h, it)
	}
	n.expireAsks(h, time.Now())
	return k
}

// take returns the next waiting item without blocking: control first.
func (n *Node) take() (inboxItem, bool) {
	select {
	case it := <-n.inboxCtl:
		return it, true
	default:
	}
	select {
	case it := <-n.inboxCtl:
		return it, true
	case it := <-n.inbox:
		return it, true
	default:
		return inboxItem{}, false
	}
}

func (n *Node) loop() {
	defer close(n.loopDone)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	h := n.cfg.Handler
	for {
		if it, ok := n.take(); ok {
			n.dispatch(h, it)
			continue
		}
		select {
		case it := <-n.inboxCtl:
			n.dispatch(h, it)
		case it := <-n.inbox:
			n.dispatch(h, it)
		case now := <-t.C:
			n.expireAsks(h, now)
			if n.draining.Load() && len(n.inbox) == 0 && len(n.inboxCtl) == 0 {
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

// handlerPanics counts the handler panics of every node of the process.
var handlerPanics atomic.Int64

// HandlerPanics returns how many handler calls of this process's nodes
// panicked so far: the tests of a package that runs nodes want none
// (nodetest.Main).
func HandlerPanics() int64 { return handlerPanics.Load() }

// safely runs a handler; a panic there is a bug of this node, logged with
// its stack and counted, and the node goes on with the next message.
func (n *Node) safely(from string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			handlerPanics.Add(1)
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
	box := n.inbox
	if it.kind == itemPeer || it.msg.Priority == Control {
		box = n.inboxCtl
	}
	select {
	case box <- it:
		return true
	default:
	}
	select {
	case box <- it:
		return true
	case <-done:
		return false
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

func (h askHeap) Len() int { return len(h) }

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
