package login

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// A line ticket lets a player keep its place in a full realm's line when
// its login node dies. Each login node keeps its realm's line in memory:
// without a ticket, the players of a login node that was SIGKILLed log in
// again through the other and join the back of its line, behind everyone
// who came after them. With one, the other login node puts each where its
// first arrival placed it.
//
// A ticket is the time the player first joined the line and the time the
// ticket was made, MACed with a key every login node of the cluster
// derives from the cluster secret, over the account and the realm too: it
// is worth nothing to another account or realm, cannot be forged, and is
// stale a minute after it was made (a player who left the line and comes
// back later joins the back). A player in line is sent a new one each time
// it is told its place, so a live client always holds a fresh one.
type ticketer struct {
	key []byte
}

// Layout of a ticket: version, arrival and issue (Unix milliseconds), and
// the first ticketMAC bytes of the HMAC-SHA256.
const (
	ticketVersion = 1
	ticketMAC     = 16
	ticketSize    = 1 + 8 + 8 + ticketMAC
	// ticketFresh is how long a ticket is taken after it was made: a
	// client notices a dead login node within its patience (4 s near the
	// front of the line, 15 s further back) plus a keep-alive, and moves
	// on to the next at once.
	ticketFresh = time.Minute
	// ticketSkew is how far ahead of this node's clock another login
	// node's may be.
	ticketSkew = 5 * time.Second
)

func newTicketer(clusterSecret []byte) *ticketer {
	m := hmac.New(sha256.New, clusterSecret)
	m.Write([]byte("gridrealm/1 login line ticket"))
	return &ticketer{key: m.Sum(nil)}
}

// make returns the ticket of a player of account in realm's line since
// arrived, made now.
func (t *ticketer) make(account, realm string, arrived, now time.Time) []byte {
	b := make([]byte, ticketSize)
	b[0] = ticketVersion
	binary.BigEndian.PutUint64(b[1:], uint64(arrived.UnixMilli()))
	binary.BigEndian.PutUint64(b[9:], uint64(now.UnixMilli()))
	copy(b[17:], t.mac(b[:17], account, realm))
	return b
}

// Why a ticket was not taken (ticketKept when it was), the label of the
// tickets metric.
const (
	ticketKept  = "kept"
	ticketStale = "stale"
	ticketBad   = "bad"
)

// read returns when the ticket's player first joined the line, and
// ticketKept; or why the ticket is not taken (the player joins the back).
func (t *ticketer) read(b []byte, account, realm string, now time.Time, lineWait time.Duration) (time.Time, string) {
	if len(b) != ticketSize || b[0] != ticketVersion || !hmac.Equal(b[17:], t.mac(b[:17], account, realm)) {
		return time.Time{}, ticketBad
	}
	arrived := time.UnixMilli(int64(binary.BigEndian.Uint64(b[1:])))
	issued := time.UnixMilli(int64(binary.BigEndian.Uint64(b[9:])))
	switch {
	case arrived.After(issued) || issued.After(now.Add(ticketSkew)):
		return time.Time{}, ticketBad
	case now.Sub(issued) > ticketFresh || now.Sub(arrived) >= lineWait:
		return time.Time{}, ticketStale
	}
	return arrived, ticketKept
}

func (t *ticketer) mac(head []byte, account, realm string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write(head)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(account)))
	m.Write(n[:])
	m.Write([]byte(account))
	m.Write([]byte(realm))
	return m.Sum(nil)[:ticketMAC]
}
