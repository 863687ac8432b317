package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// scriptedGateway welcomes every connection with a resume token of its
// own and records the handle each one presented.
type scriptedGateway struct {
	ln       *pquic.Listener
	token    []byte
	mu       sync.Mutex
	handles  [][]byte
	sessions chan *pquic.Session
	// place is how long placing a connection takes before its Welcome; a
	// handle presented twice is refused, as the realm refuses a used token.
	place time.Duration
}

func (g *scriptedGateway) slow(d time.Duration) {
	g.mu.Lock()
	g.place = d
	g.mu.Unlock()
}

func startScripted(t *testing.T, stls *tls.Config, token byte) *scriptedGateway {
	t.Helper()
	ln, err := pquic.Listen("127.0.0.1:0", stls)
	if err != nil {
		t.Fatal(err)
	}
	g := &scriptedGateway{ln: ln, token: bytes.Repeat([]byte{token}, codec.SessionHandleSize), sessions: make(chan *pquic.Session, 4)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); ln.Close() })
	go func() {
		for {
			in, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			s, err := in.Open(ctx, 5*time.Second)
			if err != nil {
				continue
			}
			b, err := s.Recv(time.Now().Add(5 * time.Second))
			if err != nil {
				continue
			}
			var m wire.ClientMessage
			if codec.DecodeClientMessage(b, &m) != nil {
				continue
			}
			var c wire.Connect
			codec.Member(m.Body, &c)
			g.mu.Lock()
			used := slices.ContainsFunc(g.handles, func(h []byte) bool { return bytes.Equal(h, c.SessionHandleBytes()) })
			g.handles = append(g.handles, bytes.Clone(c.SessionHandleBytes()))
			place := g.place
			g.mu.Unlock()
			if used {
				s.Close(wire.DisconnectReasonSessionInvalid, "session unknown, expired or used")
				continue
			}
			time.Sleep(place)
			s.Send(codec.NewPlayerEncoder().Welcome(&codec.Welcome{EntityID: 5, Zone: "Z", TickHz: 20, ResumeToken: g.token}))
			g.sessions <- s
		}
	}()
	return g
}

// devTLS returns a server's and a client's TLS configuration over a
// development certificate.
func devTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	server, client, err := pquic.DevTLS()
	if err != nil {
		t.Fatal(err)
	}
	return server, client
}

func (g *scriptedGateway) presented() [][]byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([][]byte(nil), g.handles...)
}

// TestReconnectPresentsTheTokenToTheNextGateway: a connection closed with
// no reason (a crash, a lost network) comes back on the next gateway of
// the list, presenting the resume token of the last Welcome; one closed
// on purpose (Replaced) does not come back.
func TestReconnectPresentsTheTokenToTheNextGateway(t *testing.T) {
	stls, ctls := devTLS(t)
	a, b := startScripted(t, stls, 0xa), startScripted(t, stls, 0xb)
	var mu sync.Mutex
	var events []ReconnectEvent
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := ConnectWith(ctx, a.ln.Addr().String(), ctls, make([]byte, codec.SessionHandleSize), Options{
		Reconnect: true, Gateways: []string{a.ln.Addr().String(), b.ln.Addr().String()},
		OnReconnect: func(ev ReconnectEvent) { mu.Lock(); events = append(events, ev); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	(<-a.sessions).Close(0, "") // gone, with no reason
	bs := <-b.sessions
	deadline := time.Now().Add(5 * time.Second)
	for c.Counters().Reconnects != 1 || c.Gateway() != b.ln.Addr().String() {
		if time.Now().After(deadline) {
			t.Fatalf("not back on the next gateway: %+v on %s", c.Counters(), c.Gateway())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := b.presented(); len(got) != 1 || !bytes.Equal(got[0], a.token) {
		t.Fatalf("b was presented %x, want a's resume token", got)
	}
	if !bytes.Equal(c.Welcomed().ResumeToken, b.token) {
		t.Fatal("the new Welcome's token was not kept")
	}
	// Closed on purpose: Done, no third connection.
	bs.Close(wire.DisconnectReasonReplaced, "another connection")
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a Replaced connection was resumed")
	}
	if c.Counters().Disconnect != wire.DisconnectReasonReplaced {
		t.Fatalf("reason %v", c.Counters().Disconnect)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 || !events[0].Back || events[0].Gateway != b.ln.Addr().String() {
		t.Fatalf("events: %+v", events)
	}
}

// TestASlowPlacementKeepsTheResume: the gateway a client comes back to
// takes longer to place it than one try to reach a gateway (an overloaded
// realm); its token is spent when the placement starts. The client waits
// for the Welcome rather than give up and present the spent token again,
// which is refused for good.
func TestASlowPlacementKeepsTheResume(t *testing.T) {
	stls, ctls := devTLS(t)
	a, b := startScripted(t, stls, 0xa), startScripted(t, stls, 0xb)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := ConnectWith(ctx, a.ln.Addr().String(), ctls, make([]byte, codec.SessionHandleSize), Options{
		Reconnect: true, Gateways: []string{a.ln.Addr().String(), b.ln.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b.slow(gatewayTry + time.Second)
	as := <-a.sessions
	a.ln.Close() // a crashed
	as.Close(0, "")
	deadline := time.Now().Add(15 * time.Second)
	for c.Counters().Reconnects != 1 || c.Gateway() != b.ln.Addr().String() {
		select {
		case <-c.Done():
			t.Fatalf("never back: %v (b was presented %d handles)", c.Err(), len(b.presented()))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not back on the slow gateway: %+v", c.Counters())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := b.presented(); len(got) != 1 {
		t.Fatalf("b was presented %d handles, want the token once", len(got))
	}
}

// TestConnectTurnsToAnotherGateway: the gateway a client is sent to does
// not answer (it crashed); Connect reaches another of the realm's.
func TestConnectTurnsToAnotherGateway(t *testing.T) {
	stls, ctls := devTLS(t)
	dead := startScripted(t, stls, 0xd)
	deadAddr := dead.ln.Addr().String()
	dead.ln.Close()
	alive := startScripted(t, stls, 0xe)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := ConnectWith(ctx, deadAddr, ctls, make([]byte, codec.SessionHandleSize), Options{Gateways: []string{deadAddr, alive.ln.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Gateway() != alive.ln.Addr().String() {
		t.Fatalf("connected to %s", c.Gateway())
	}
}
