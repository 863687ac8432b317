package dbclient

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Errors a reply can carry; test with errors.Is.
var (
	ErrNotFound      = errors.New("db: not found")
	ErrOwnerMismatch = errors.New("db: owner mismatch")
	ErrStaleEpoch    = errors.New("db: stale epoch")
	ErrExpired       = errors.New("db: request expired before it was applied")
	ErrInvalid       = errors.New("db: invalid request")
	ErrBusy          = errors.New("db: busy")
	ErrFailed        = errors.New("db: failed")
	ErrExists        = errors.New("db: already exists")
)

// StatusError maps a reply status to its error (nil for Ok).
func StatusError(s wire.DbStatus, msg string) error {
	var base error
	switch s {
	case wire.DbStatusOk:
		return nil
	case wire.DbStatusNotFound:
		base = ErrNotFound
	case wire.DbStatusOwnerMismatch:
		base = ErrOwnerMismatch
	case wire.DbStatusStaleEpoch:
		base = ErrStaleEpoch
	case wire.DbStatusExpired:
		base = ErrExpired
	case wire.DbStatusInvalid:
		base = ErrInvalid
	case wire.DbStatusBusy:
		base = ErrBusy
	case wire.DbStatusExists:
		base = ErrExists
	default:
		base = ErrFailed
	}
	if msg == "" {
		return base
	}
	return fmt.Errorf("%w: %s", base, msg)
}

// Client sends db requests through a node. It is safe for concurrent use.
// Callbacks run on the node's main loop, so the node must have one: a
// Handler, or an owner that calls Poll.
type Client struct {
	n       *node.Node
	db      string
	timeout time.Duration

	mu  sync.Mutex
	enc *codec.DbEncoder
}

// New returns a client of the db node with id db. timeout bounds each
// request (default 5 s); a request expires at 80% of it.
func New(n *node.Node, db string, timeout time.Duration) *Client {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &Client{n: n, db: db, timeout: timeout, enc: codec.NewDbEncoder()}
}

// Do sends a request; done gets the reply or an error, on the node's main
// loop. The request's expiry is set here.
func (c *Client) Do(r codec.DbRequest, done func(codec.DbReply, error)) error {
	r.ExpiresUnixMs = time.Now().Add(c.timeout * 4 / 5).UnixMilli()
	c.mu.Lock()
	payload := c.enc.Request(&r)
	err := c.n.Ask(c.db, node.Out{Kind: kinds.Db, Priority: node.Gameplay, Payload: payload}, c.timeout, func(m node.Message, err error) {
		if err != nil {
			done(codec.DbReply{}, err)
			return
		}
		reply, err := DecodeReply(m.Payload)
		if err != nil {
			done(codec.DbReply{}, err)
			return
		}
		done(reply, StatusError(reply.Status, reply.Message))
	})
	c.mu.Unlock()
	return err
}

// DecodeReply decodes a DbReply payload.
func DecodeReply(b []byte) (codec.DbReply, error) {
	var m wire.DbMessage
	if err := codec.DecodeDbMessage(b, len(b)+1, &m); err != nil {
		return codec.DbReply{}, err
	}
	if m.BodyType() != wire.DbBodyDbReply {
		return codec.DbReply{}, fmt.Errorf("%w: expected a DbReply, got %s", codec.ErrMalformed, m.BodyType())
	}
	var w wire.DbReply
	codec.Member(m.Body, &w)
	var r codec.DbReply
	codec.ReadDbReply(&w, &r)
	return r, nil
}

// Sync sends a request and waits for its outcome: for tools and tests that
// are not on a node's main loop.
func (c *Client) Sync(r codec.DbRequest) (codec.DbReply, error) {
	type result struct {
		r   codec.DbReply
		err error
	}
	ch := make(chan result, 1)
	if err := c.Do(r, func(rep codec.DbReply, err error) { ch <- result{rep, err} }); err != nil {
		return codec.DbReply{}, err
	}
	res := <-ch
	return res.r, res.err
}

// Transfer moves an item from one owner to another.
func (c *Client) Transfer(item, from, to, fromEpoch uint64, done func(error)) error {
	return c.Do(codec.DbRequest{Op: wire.DbOpDbTransferItem, Item: item, From: from, To: to, Epoch: fromEpoch},
		func(_ codec.DbReply, err error) { done(err) })
}
