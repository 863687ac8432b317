package gateway

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/pquic"
)

// BenchmarkGatewayPlayerDatagram: the CPU of one player's datagram per
// tick, in two scenes:
//
//   - crowd: about 150 entities in view, 60% of them moving each tick,
//     more change than one datagram holds (the budget cuts every snapshot);
//   - sparse: about 44 entities in view, whose changes all fit.
//
// The client acks two snapshots behind (100 ms at 20 Hz). The visible sets
// are made before timing. For each scene:
//
//   - build: delta against the acked snapshot, priorities, budget cut,
//     encode;
//   - send: build, then the datagram on a real QUIC connection over
//     loopback, to a client in another process (TestDatagramSink) that
//     drains it;
//   - players16, players256: the same for 16 (or 256) players on as many
//     connections, as a gateway does a tick: every player's datagram is
//     built and copied into the tick's batch, then the batch is sent
//     (batch.send, the pacer's, its groups back to back). With 256, each
//     connection's state in quic-go (and each view) is colder when its
//     turn comes, as with a gateway's thousands of players.
//
// cpu-ns/op is the CPU of every thread of this process per datagram
// (quic-go's connection goroutines and the kernel's work in its sendmsg
// calls included), read from getrusage; ns/op is wall time, less than the
// CPU when quic-go's goroutines run on the other core.
//
// udp is the floor under every send: what one sendto of a 1,252-byte UDP
// packet to the sink's process costs here, without QUIC.
func BenchmarkGatewayPlayerDatagram(b *testing.B) {
	for _, sc := range []struct {
		name     string
		entities int
	}{{"crowd", 240}, {"sparse", 60}} {
		s := newScene(9, sc.entities)
		frames := s.frames(256)
		// run builds the players' datagrams in turn; with a sink, it
		// sends them as a gateway does: a tick's datagrams (one per player)
		// are built into a batch, and the batch is sent (the pacer's send,
		// its groups back to back).
		run := func(b *testing.B, players int, sink *sink) {
			views := make([]*View, players)
			scratch := NewScratch() // shared, as in a gateway
			for p := range views {
				views[p] = NewView(0, scratch)
				for i := 0; i < 64; i++ { // warm: history and buffers at their size
					views[p].Build(frames[(i+p*16)%len(frames)], s.px, s.py, uint32(i), 0)
					if views[p].Seq() > 2 {
						views[p].Ack(views[p].Seq() - 2)
					}
				}
			}
			var bt batch
			b.ReportAllocs()
			cpu0 := processCPU()
			i := 0
			for b.Loop() {
				p := i % players
				v := views[p]
				d := v.Build(frames[(i/players+p*16)%len(frames)], s.px, s.py, uint32(i), 0)
				v.Ack(v.Seq() - 2)
				i++
				if sink == nil {
					continue
				}
				bt.add(sink.players[p], d)
				if p == players-1 {
					bt.send(ecs.RealClock{}, time.Now())
					bt.arena, bt.sends = bt.arena[:0], bt.sends[:0]
				}
			}
			bt.send(ecs.RealClock{}, time.Now()) // the last tick's, if cut short
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(frames[0])), "in-view")
		}
		b.Run(sc.name+"/build", func(b *testing.B) { run(b, 1, nil) })
		for _, players := range []int{1, 16, 256} {
			name := sc.name + "/send"
			if players > 1 {
				name = fmt.Sprintf("%s/players%d", sc.name, players)
			}
			b.Run(name, func(b *testing.B) {
				sink := startSink(b, players)
				sent0 := sink.packetsSent()
				run(b, players, sink)
				// 1 when every datagram goes in a packet of its own, more
				// with acks and keep-alives, less when quic-go coalesces
				// small datagrams queued together: that the figure counts
				// every datagram sent, none dropped or merged unseen.
				b.ReportMetric(float64(sink.packetsSent()-sent0)/float64(b.N), "packets/op")
			})
		}
	}
	b.Run("udp", func(b *testing.B) {
		sink := startSink(b, 1)
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		p := make([]byte, 1252) // a full QUIC packet carrying a 1,200-byte datagram
		cpu0 := processCPU()
		for b.Loop() {
			if _, err := c.WriteToUDP(p, sink.udp); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}

// processCPU is the CPU time (user and system) the process has used, ns.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// sink is the receiving end of the benchmark's datagrams: another process
// (this test binary, running TestDatagramSink), so that the benchmark's
// CPU figure is the sending side's alone.
type sink struct {
	players []*pquic.Session // the server ends of its QUIC connections
	udp     *net.UDPAddr     // its plain UDP socket
}

func (s *sink) packetsSent() (n uint64) {
	for _, p := range s.players {
		n += p.PacketsSent()
	}
	return n
}

// startSink starts the sink with n QUIC connections to a listener of this
// process; it is stopped when the benchmark ends.
func startSink(b *testing.B, n int) *sink {
	certPEM, keyPEM, _ := pquic.DevCertificate()
	stls, _ := pquic.ServerTLS(certPEM, keyPEM)
	ln, err := pquic.Listen("127.0.0.1:0", stls)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	certFile := filepath.Join(b.TempDir(), "cert.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestDatagramSink$")
	cmd.Env = append(os.Environ(), "GRIDREALM_SINK_ADDR="+ln.Addr().String(), "GRIDREALM_SINK_CERT="+certFile,
		"GRIDREALM_SINK_CONNS="+strconv.Itoa(n))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s := &sink{}
	line, err := bufio.NewReader(out).ReadString('\n') // "udp ADDR"
	if err != nil {
		b.Fatalf("sink: %v", err)
	}
	var addr string
	if _, err := fmt.Sscanf(line, "udp %s", &addr); err != nil {
		b.Fatalf("sink said %q", line)
	}
	if s.udp, err = net.ResolveUDPAddr("udp4", addr); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(s.players) < n {
		in, err := ln.Accept(ctx)
		if err != nil {
			b.Fatal(err)
		}
		server, err := in.Open(ctx, 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { server.Close(0, "") })
		s.players = append(s.players, server)
	}
	return s
}

// TestDatagramSink is the receiving end of BenchmarkGatewayPlayerDatagram,
// in its own process; it runs only when a benchmark starts it. It prints
// its UDP socket's address, dials its QUIC connections, and drops what
// arrives on any of them.
func TestDatagramSink(t *testing.T) {
	addr := os.Getenv("GRIDREALM_SINK_ADDR")
	if addr == "" {
		t.Skip("the receiving end of BenchmarkGatewayPlayerDatagram")
	}
	certPEM, err := os.ReadFile(os.Getenv("GRIDREALM_SINK_CERT"))
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	udp.SetReadBuffer(4 << 20) // as quic-go asks for its sockets: few drops
	fmt.Printf("udp %s\n", udp.LocalAddr())
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := udp.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	ctls, _ := pquic.ClientTLS(certPEM)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n, _ := strconv.Atoi(os.Getenv("GRIDREALM_SINK_CONNS"))
	var wg sync.WaitGroup
	for range max(n, 1) {
		c, err := pquic.Dial(ctx, addr, ctls)
		if err != nil {
			t.Fatal(err)
		}
		c.Send([]byte("hello")) // a stream opens when it carries data
		wg.Go(func() {
			for {
				if _, err := c.RecvDatagram(ctx); err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkViewAcksInBursts: builds for many players whose clients ack in
// bursts, as a starved client does (it takes in eight snapshots at once,
// then acks the newest): each view's history then frees eight buffers at
// a time, more than the view keeps spare, and the next seven Builds need
// room again. A crowd of 240 in view, 256 players sharing a scratch.
func BenchmarkViewAcksInBursts(b *testing.B) {
	s := newScene(9, 240)
	frames := s.frames(64)
	const players, every = 256, 8
	scratch := NewScratch()
	views := make([]*View, players)
	for p := range views {
		views[p] = NewView(0, scratch)
	}
	build := func(i int) {
		p := i % players
		v := views[p]
		v.Build(frames[(i/players+p)%len(frames)], s.px, s.py, uint32(i/players), 0)
		if (i/players)%every == every-1 {
			v.Ack(v.Seq() - 1)
		}
	}
	for i := 0; i < players*4*every; i++ { // warm: history and buffers at their size
		build(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		build(i)
		i++
	}
}
