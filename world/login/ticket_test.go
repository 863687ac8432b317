package login

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// TestALineTicketIsWorthNothingElsewhere: a ticket read back by any login
// node of the cluster gives its player's first arrival; for another
// account or realm, with a byte changed, from another cluster's secret,
// or from the future it is bad; a minute after it was made, or once its
// player's wait in line would be over, it is stale.
func TestALineTicketIsWorthNothingElsewhere(t *testing.T) {
	secret := []byte("a cluster secret of enough bytes")
	a, b := newTicketer(secret), newTicketer(secret)
	now := time.UnixMilli(1_800_000_000_000)
	arrived := now.Add(-40 * time.Second)
	ticket := a.make("alice", "fortrax", arrived, now.Add(-time.Second))
	if got, outcome := b.read(ticket, "alice", "fortrax", now, time.Hour); outcome != ticketKept || !got.Equal(arrived) {
		t.Fatalf("the other login node read %v %s, want %v kept", got, outcome, arrived)
	}
	flipped := append([]byte(nil), ticket...)
	flipped[3] ^= 1
	for name, c := range map[string]struct {
		ticket         []byte
		account, realm string
		now            time.Time
		lineWait       time.Duration
		want           string
	}{
		"another account":        {ticket, "mallory", "fortrax", now, time.Hour, ticketBad},
		"another realm":          {ticket, "alice", "elsewhere", now, time.Hour, ticketBad},
		"a byte changed":         {flipped, "alice", "fortrax", now, time.Hour, ticketBad},
		"cut short":              {ticket[:20], "alice", "fortrax", now, time.Hour, ticketBad},
		"another cluster":        {newTicketer([]byte("another cluster's secret, long")).make("alice", "fortrax", arrived, now), "alice", "fortrax", now, time.Hour, ticketBad},
		"from the future":        {a.make("alice", "fortrax", arrived, now.Add(time.Minute)), "alice", "fortrax", now, time.Hour, ticketBad},
		"a minute old":           {ticket, "alice", "fortrax", now.Add(ticketFresh), time.Hour, ticketStale},
		"its wait would be over": {ticket, "alice", "fortrax", now, 30 * time.Second, ticketStale},
	} {
		if _, outcome := b.read(c.ticket, c.account, c.realm, c.now, c.lineWait); outcome != c.want {
			t.Errorf("%s: %s, want %s", name, outcome, c.want)
		}
	}
}

// FuzzLineTicket reads arbitrary bytes a client presents as its ticket,
// for any account and realm: a ticket taken is one a login node of the
// cluster made, byte for byte, for that account and realm; anything else
// is bad or stale, and nothing panics.
func FuzzLineTicket(f *testing.F) {
	secret := []byte("a cluster secret of enough bytes")
	tk := newTicketer(secret)
	now := time.UnixMilli(1_800_000_000_000)
	f.Add(tk.make("alice", "fortrax", now.Add(-40*time.Second), now.Add(-time.Second)), "alice", "fortrax")
	f.Add(tk.make("alice", "fortrax", now, now), "alicefortrax", "")
	f.Add([]byte{}, "", "")
	f.Add(make([]byte, ticketSize), "a", "b")
	f.Fuzz(func(t *testing.T, b []byte, account, realm string) {
		arrived, outcome := tk.read(b, account, realm, now, time.Hour)
		switch outcome {
		case ticketKept:
			if len(b) != ticketSize {
				t.Fatalf("a %d-byte ticket was taken", len(b))
			}
			issued := time.UnixMilli(int64(binary.BigEndian.Uint64(b[9:])))
			if !bytes.Equal(b, tk.make(account, realm, arrived, issued)) {
				t.Fatalf("a ticket no login node made for %q in %q was taken: %x", account, realm, b)
			}
		case ticketBad, ticketStale:
		default:
			t.Fatalf("outcome %q", outcome)
		}
	})
}
