package node

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/frame"
	"github.com/gridrealm/gridrealm/net/wire"
)

// protocolVersion is the link protocol spoken; a peer with another one is
// refused.
const protocolVersion = 1

// macLabel separates link proofs from any other use of the secret.
const macLabel = "gridrealm/link-hello/v1"

// ErrBadProof is returned when a peer's hello proof does not verify: it does
// not know the cluster secret.
var ErrBadProof = errors.New("hello proof does not verify: wrong cluster secret")

// errDuplicateLink: an inbound link from a peer this node dials itself.
var errDuplicateLink = errors.New("duplicate link")

// ErrHandshake is wrapped by every other handshake failure.
var ErrHandshake = errors.New("link handshake failed")

// handshakeResult is what a verified handshake learned about the peer.
type handshakeResult struct {
	hello     codec.Hello
	base      [numPriorities]uint64 // where the peer's stream to us starts
	delivered [numPriorities]uint64 // what the peer processed of our stream
}

// handshake runs the hello exchange on a fresh connection. want is the id
// expected when dialing, "" when accepting.
func (n *Node) handshake(nc net.Conn, want string) (*conn, *handshakeResult, error) {
	nc.SetDeadline(time.Now().Add(n.cfg.HandshakeTimeout))
	defer nc.SetDeadline(time.Time{})
	c := newConn(n, nc)

	var nonce [codec.NonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, nil, err
	}
	hello := codec.Hello{NodeID: n.cfg.ID, Role: string(n.cfg.Role), Realm: n.cfg.Realm,
		Incarnation: n.incarnation, Nonce: nonce[:], Protocol: protocolVersion}
	if err := c.writeNow(c.enc.Hello(&hello)); err != nil {
		return nil, nil, fmt.Errorf("%w: send hello: %v", ErrHandshake, err)
	}

	var f wire.NodeFrame
	if err := c.readFrame(&f, wire.NodeBodyHello); err != nil {
		return nil, nil, err
	}
	var wh wire.Hello
	codec.Member(f.Body, &wh)
	theirs := codec.ReadHello(&wh)
	switch {
	case theirs.Protocol != protocolVersion:
		return nil, nil, fmt.Errorf("%w: peer speaks link protocol %d, this node %d", ErrHandshake, theirs.Protocol, protocolVersion)
	case len(theirs.Nonce) != codec.NonceSize:
		return nil, nil, fmt.Errorf("%w: nonce of %d bytes", ErrHandshake, len(theirs.Nonce))
	case theirs.NodeID == "" || theirs.Incarnation == 0:
		return nil, nil, fmt.Errorf("%w: hello without node id or incarnation", ErrHandshake)
	case theirs.NodeID == n.cfg.ID:
		return nil, nil, fmt.Errorf("%w: peer claims this node's own id %q", ErrHandshake, theirs.NodeID)
	case want != "" && theirs.NodeID != want:
		return nil, nil, fmt.Errorf("%w: dialed %s but %s answered", ErrHandshake, want, theirs.NodeID)
	}
	if err := checkPeerCert(nc, theirs.NodeID); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrHandshake, err)
	}

	if want == "" && n.dialsLowerThan(theirs.NodeID) {
		// Both sides dial each other: only the link the lower id dials is
		// kept, or the two would replace each other forever. Refused before
		// the proof, so the peer never takes this connection for a link.
		c.writeNow(c.enc.Bye("duplicate link: " + n.cfg.ID + " dials " + theirs.NodeID))
		return nil, nil, errDuplicateLink
	}

	base, delivered := n.streams(theirs)
	mac := n.proof(n.cfg.ID, theirs.NodeID, n.incarnation, theirs.Incarnation, theirs.Nonce, nonce[:], base[:], delivered[:])
	if err := c.writeNow(c.enc.HelloProof(mac, base[:], delivered[:])); err != nil {
		return nil, nil, fmt.Errorf("%w: send proof: %v", ErrHandshake, err)
	}

	if err := c.readFrame(&f, wire.NodeBodyHelloProof); err != nil {
		return nil, nil, err
	}
	var wp wire.HelloProof
	codec.Member(f.Body, &wp)
	res := &handshakeResult{hello: theirs}
	theirBase := uint64sOf(wp.StreamBaseLength(), wp.StreamBase)
	theirDelivered := uint64sOf(wp.DeliveredLength(), wp.Delivered)
	copy(res.base[:], theirBase)
	copy(res.delivered[:], theirDelivered)
	want2 := n.proof(theirs.NodeID, n.cfg.ID, theirs.Incarnation, n.incarnation, nonce[:], theirs.Nonce,
		theirBase, theirDelivered)
	if !hmac.Equal(wp.MacBytes(), want2) {
		return nil, nil, fmt.Errorf("peer %q at %s: %w", theirs.NodeID, nc.RemoteAddr(), ErrBadProof)
	}
	c.peerID = theirs.NodeID
	return c, res, nil
}

// streams is what this side tells the peer about the two streams: where
// its stream to the peer starts (what the peer acknowledged) and what it
// processed of the peer's (for the same incarnation only). Only a peer
// that exists already has state; nothing is created before the peer
// proves itself.
func (n *Node) streams(theirs codec.Hello) (base, delivered [numPriorities]uint64) {
	p := n.peer(theirs.NodeID)
	if p == nil {
		return base, delivered
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range base {
		base[i] = p.out[i].acked
		if p.remoteInc == theirs.Incarnation {
			delivered[i] = p.delivered[i].Load()
		}
	}
	return base, delivered
}

// proof is the MAC that the node from proves to the node to: both ids, both
// incarnations, to's fresh nonce (so an old proof cannot be replayed), from's
// nonce, and the resume state from announces.
func (n *Node) proof(from, to string, fromInc, toInc uint64, toNonce, fromNonce []byte, base, delivered []uint64) []byte {
	m := hmac.New(sha256.New, n.cfg.Secret)
	var b [8]byte
	put := func(p []byte) {
		binary.LittleEndian.PutUint64(b[:], uint64(len(p)))
		m.Write(b[:])
		m.Write(p)
	}
	putU := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		m.Write(b[:])
	}
	put([]byte(macLabel))
	put([]byte(from))
	put([]byte(to))
	putU(fromInc)
	putU(toInc)
	put(toNonce)
	put(fromNonce)
	putU(uint64(len(base)))
	for _, v := range base {
		putU(v)
	}
	putU(uint64(len(delivered)))
	for _, v := range delivered {
		putU(v)
	}
	return m.Sum(nil)
}

func uint64sOf(n int, at func(int) uint64) []uint64 {
	n = min(n, codec.MaxPriorities)
	out := make([]uint64, n)
	for i := range out {
		out[i] = at(i)
	}
	return out
}

// readFrame reads one frame during the handshake and checks its type.
func (c *conn) readFrame(f *wire.NodeFrame, want wire.NodeBody) error {
	b, err := c.r.Next()
	if err != nil {
		if errors.Is(err, frame.ErrTooLarge) {
			return fmt.Errorf("%w: %v", ErrHandshake, err)
		}
		return fmt.Errorf("%w: waiting for %s: %w", ErrHandshake, want, err)
	}
	if err := codec.DecodeNodeFrame(b, c.n.cfg.MaxFrame, f); err != nil {
		return fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	if f.BodyType() == wire.NodeBodyBye {
		var bye wire.Bye
		codec.Member(f.Body, &bye)
		return fmt.Errorf("%w: peer refused: %s", ErrHandshake, bye.Reason())
	}
	if f.BodyType() != want {
		return fmt.Errorf("%w: expected %s, got %s", ErrHandshake, want, f.BodyType())
	}
	return nil
}

// dialsLowerThan reports whether this node dials the peer and has the lower
// id, which makes its own dialed link the one to keep.
func (n *Node) dialsLowerThan(id string) bool {
	p := n.peer(id)
	return p != nil && p.addr != "" && n.cfg.ID < id
}
