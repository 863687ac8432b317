package pquic

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// relay forwards UDP between one client and a server until cut, after
// which it drops everything: a peer that vanished without a word.
type relay struct {
	conn   *net.UDPConn
	server *net.UDPAddr
	cut    atomic.Bool
}

func newRelay(t *testing.T, server *net.UDPAddr) *relay {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{conn: c, server: server}
	t.Cleanup(func() { c.Close() })
	go func() {
		var client *net.UDPAddr
		b := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDP(b)
			if err != nil {
				return
			}
			if r.cut.Load() {
				continue
			}
			if from.Port == server.Port && from.IP.Equal(server.IP) {
				if client != nil {
					c.WriteToUDP(b[:n], client)
				}
				continue
			}
			client = from
			c.WriteToUDP(b[:n], server)
		}
	}()
	return r
}

// connected dials addr (the listener's, or a relay's in front of it) and
// returns both ends, each closed when the test ends.
func connected(t *testing.T, ctx context.Context, ln *Listener, ctls *tls.Config, addr string) (server, client *Session) {
	t.Helper()
	return connectedBy(t, ctx, ln, func() (*Session, error) { return Dial(ctx, addr, ctls) })
}

// connectedBy is connected with a dial of the caller's (a shared
// Transport's). The client has sent "hello" on its stream, which the
// server has not read.
func connectedBy(t *testing.T, ctx context.Context, ln *Listener, dial func() (*Session, error)) (server, client *Session) {
	t.Helper()
	c, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(0, "") })
	if err := c.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	in, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := in.Open(ctx, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(0, "") })
	return s, c
}

// TestAStalledPeerDoesNotHoldUpOffers: a server sending to many peers in
// turn (a gateway's pacer) is not held up by one that stopped answering.
// SendDatagram to it waits once quic-go's queue for the connection is full;
// OfferDatagram never waits, keeps the newest datagram for it, and the
// other peer gets every round's.
func TestAStalledPeerDoesNotHoldUpOffers(t *testing.T) {
	ln, ctls := listenDev(t, "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := newRelay(t, ln.Addr().(*net.UDPAddr))
	stalled, _ := connected(t, ctx, ln, ctls, r.conn.LocalAddr().String())
	live, liveClient := connected(t, ctx, ln, ctls, ln.Addr().String())

	r.cut.Store(true)
	const rounds = 400
	last := fmt.Sprintf("round %04d", rounds-1)
	received := make(chan int, 1)
	go func() { // the live peer reads as a client does
		got := 0
		for {
			d, err := liveClient.RecvDatagram(ctx)
			if err != nil {
				received <- -got
				return
			}
			if got++; string(d[:len(last)]) == last {
				received <- got
				return
			}
		}
	}()
	start := time.Now()
	replaced := 0
	for i := range rounds {
		d := []byte(fmt.Sprintf("round %04d %s", i, make([]byte, 900)))
		if stalled.OfferDatagram(d) {
			replaced++
		}
		live.OfferDatagram(d)
		time.Sleep(time.Millisecond) // a tick, faster: one datagram a peer a tick

	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("%d rounds of offers took %v", rounds, took)
	}
	if replaced == 0 {
		t.Fatal("no offer to the stalled peer replaced one waiting")
	}
	if got := <-received; got < rounds/2 {
		t.Fatalf("the live peer got %d of %d rounds (negative: and then an error)", got, rounds)
	}

	// SendDatagram to the stalled peer waits, which the offers did not.
	sent := make(chan struct{})
	go func() {
		for range 200 {
			stalled.SendDatagram(make([]byte, 900))
		}
		close(sent)
	}()
	select {
	case <-sent:
		t.Fatal("200 datagrams to a peer that stopped answering went without waiting: the test shows nothing")
	case <-time.After(500 * time.Millisecond):
	}
}
