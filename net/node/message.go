package node

import (
	"errors"
	"time"

	"github.com/gridrealm/gridrealm/net/wire"
)

// Priority is a message's delivery class; lower values are sent first.
type Priority = wire.Priority

// The priorities.
const (
	Control  = wire.PriorityControl
	Gameplay = wire.PriorityGameplay
	Bulk     = wire.PriorityBulk

	numPriorities = 3
)

// Message is a message received from a peer.
type Message struct {
	From     string // the sender's node id
	Kind     uint16
	Priority Priority
	// Corr is the correlation id of a question or of its answer (Reply set);
	// 0 for a plain one-way message.
	Corr     uint64
	Reply    bool
	History  bool
	Replayed bool
	Seq      uint64
	SentAt   time.Time
	// Payload belongs to the receiver.
	Payload []byte
}

// Out is a message to send.
type Out struct {
	Kind     uint16
	Priority Priority
	// History keeps the message for replay to a peer that restarts.
	History bool
	// Volatile marks a message meaningful only to the incarnation of the
	// peer it was sent to (per-tick state, subscriptions, load reports): if
	// the peer turns out to have restarted before acknowledging it, it is
	// dropped instead of being delivered to the new incarnation, which gets
	// fresh state from its owner. Replies are always volatile: only the
	// incarnation that asked waits for them.
	Volatile bool
	// Payload is copied by Send.
	Payload []byte
}

// Handler is called on the node's main loop, one call at a time.
type Handler interface {
	// HandleMessage handles one message. Answers to this node's questions
	// go to the Ask callback instead.
	HandleMessage(n *Node, m Message)
	// HandlePeer reports a link that came up or went down.
	HandlePeer(n *Node, e PeerEvent)
}

// PeerEvent reports a change of a link.
type PeerEvent struct {
	Peer string
	Up   bool
	// Restarted is set on Up when the peer is a new incarnation (it started
	// again since the last link).
	Restarted bool
	Reason    string
}

// Errors of the send side.
var (
	// ErrUnknownPeer: the node neither dials the peer nor has heard from it.
	ErrUnknownPeer = errors.New("unknown peer")
	// ErrOutboxFull: the peer's queue for that priority is at its limit.
	ErrOutboxFull = errors.New("outbox full")
	// ErrStopped: the node is stopping or stopped.
	ErrStopped = errors.New("node stopped")
	// ErrTimeout: a question got no answer in time.
	ErrTimeout = errors.New("no answer in time")
	// ErrBadPriority: the priority is not one of Control, Gameplay, Bulk.
	ErrBadPriority = errors.New("bad priority")
	// ErrTooLarge: the message would not fit in one frame.
	ErrTooLarge = errors.New("message larger than a frame")
)
