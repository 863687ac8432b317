package gateway

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/pquic"
)

// farRelay stands between one client and a listener and holds every packet
// each way for a fixed delay, as a long path would: the client dials its
// address.
type farRelay struct {
	front *net.UDPConn // the client's side
	back  *net.UDPConn // the listener's side
	delay time.Duration

	mu     sync.Mutex
	client *net.UDPAddr
}

func newFarRelay(t *testing.T, to net.Addr, delay time.Duration) *farRelay {
	t.Helper()
	front, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.DialUDP("udp4", nil, to.(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	r := &farRelay{front: front, back: back, delay: delay}
	t.Cleanup(func() { front.Close(); back.Close() })
	go r.carry(front, func(b []byte, from *net.UDPAddr) {
		r.mu.Lock()
		r.client = from
		r.mu.Unlock()
		back.Write(b)
	})
	go r.carry(back, func(b []byte, _ *net.UDPAddr) {
		r.mu.Lock()
		client := r.client
		r.mu.Unlock()
		front.WriteToUDP(b, client)
	})
	return r
}

// carry reads from c until it closes and hands each packet on after the
// delay.
func (r *farRelay) carry(c *net.UDPConn, on func([]byte, *net.UDPAddr)) {
	for {
		b := make([]byte, 2048)
		n, from, err := c.ReadFromUDP(b)
		if err != nil {
			return
		}
		time.AfterFunc(r.delay, func() { on(b[:n], from) })
	}
}

// TestDistanceIsNotLag: players 300 ms away (a real QUIC connection each,
// through a relay that holds every packet 150 ms each way) who keep up
// acknowledge snapshots six ticks older than the newest sent, and do not
// close their gateway: each path's least round trip is taken off. Players
// as far away and also behind by more than the limit do.
func TestDistanceIsNotLag(t *testing.T) {
	const away = 150 * time.Millisecond // each way
	const players = minLagged + 4
	stls, ctls, err := pquic.DevTLS()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := pquic.Listen("127.0.0.1:0", stls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sessions := make(chan *pquic.Session, players)
	go func() {
		for range players {
			in, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				if s, err := in.Open(ctx, 10*time.Second); err == nil {
					sessions <- s
				}
			}()
		}
	}()
	dialed := make(chan error, players)
	for range players {
		relay := newFarRelay(t, ln.Addr(), away)
		go func() {
			c, err := pquic.Dial(ctx, relay.front.LocalAddr().String(), ctls)
			if err == nil {
				defer c.Close(0, "")
				err = c.Send([]byte("hello")) // a round trip on the stream as well as the handshake's
			}
			dialed <- err
			<-ctx.Done()
		}()
	}
	for range players {
		if err := <-dialed; err != nil {
			t.Fatal(err)
		}
	}

	g, z, _ := passScene(t, nil, func(uint32) int { return 0 })
	g.cpu = newCPUWatch(func() (cpuSample, error) { return cpuSample{}, context.Canceled })
	g.cfg.FullBehind, g.cfg.FullLateness = DefaultFullBehind, -1
	z.tickLen = 50 * time.Millisecond
	for i := range players {
		var s *pquic.Session
		select {
		case s = <-sessions:
		case <-ctx.Done():
			t.Fatalf("%d of %d players connected", i, players)
		}
		t.Cleanup(func() { s.Close(0, "") })
		if _, err := s.Recv(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if rtt := s.MinRTT(); rtt < 2*away {
			t.Fatalf("a path %v long each way measured %v round trip", away, rtt)
		}
		p := &player{s: s, netID: uint32(1000 + i), character: uint64(1000 + i), zone: z.id, view: NewView(0, g.scratch),
			px: 40 * spatial.PosSteps, py: 40 * spatial.PosSteps}
		g.players[p.key()], z.byNet[p.netID] = p, p
		g.watch(z, p)
	}
	passes := func(behind uint32) bool {
		var full bool
		for range 64 {
			var b batch
			g.mu.Lock()
			g.pass(z, &b, 1, time.Now().UnixMilli())
			for _, p := range g.players { // as readInputs notes them
				p.ack.Store(max(p.sent.Load()-behind, 1))
				p.behind.Store(behind)
			}
			full = g.full()
			g.mu.Unlock()
		}
		return full
	}
	ticks := uint32(2 * away / z.tickLen) // a round trip, in snapshots
	if passes(ticks) {
		t.Fatalf("players %v away, keeping up, closed the gateway (p90 %v behind)", 2*away, g.behind.p90(g.clock.Now()))
	}
	if p90 := g.behind.p90(g.clock.Now()); p90 > z.tickLen {
		t.Fatalf("players %v away, keeping up, were %v behind (p90)", 2*away, p90)
	}
	if !passes(ticks + 8) { // and 400 ms more
		t.Fatalf("players %v away and 400 ms behind left the gateway open (p90 %v)", 2*away, g.behind.p90(g.clock.Now()))
	}
}
