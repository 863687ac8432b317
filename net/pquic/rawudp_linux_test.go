//go:build linux && (amd64 || arm64)

package pquic

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
)

func listenRaw(t *testing.T, network, addr string) (*rawUDP, *net.UDPAddr) {
	t.Helper()
	la, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenUDP(network, la)
	if err != nil {
		t.Skipf("%s %s: %v", network, addr, err) // no IPv6 on this host
	}
	c, ok := wrapUDP(udp).(*rawUDP)
	if !ok {
		t.Fatal("a UDP socket was not wrapped")
	}
	t.Cleanup(func() { c.Close() })
	return c, udp.LocalAddr().(*net.UDPAddr)
}

func batch() []ipv4.Message {
	ms := make([]ipv4.Message, rawBatch)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, 1500)}
		ms[i].OOB = make([]byte, 128)
	}
	return ms
}

// TestRawUDPSendsAndReadsInBatches: what one raw socket sends another reads,
// every byte, from the right source, several packets a read, over IPv4,
// IPv6, and a dual-stack socket sending to an IPv4 peer (a mapped address).
func TestRawUDPSendsAndReadsInBatches(t *testing.T) {
	for _, tc := range []struct{ name, network, from, to string }{
		{"ipv4", "udp4", "127.0.0.1:0", "127.0.0.1:0"},
		{"ipv6", "udp6", "[::1]:0", "[::1]:0"},
		{"dual stack to ipv4", "udp", ":0", "127.0.0.1:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst, dstAddr := listenRaw(t, "udp", tc.to)
			src, srcAddr := listenRaw(t, tc.network, tc.from)
			const n = 20
			for i := range n {
				if _, _, err := src.WriteMsgUDP(packet(i), nil, dstAddr); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
			}
			ms, got, largest := batch(), 0, 0
			dst.SetReadDeadline(time.Now().Add(5 * time.Second))
			for got < n {
				k, err := dst.ReadBatch(ms, 0)
				if err != nil {
					t.Fatalf("after %d packets: %v", got, err)
				}
				largest = max(largest, k)
				for _, m := range ms[:k] {
					if !bytes.Equal(m.Buffers[0][:m.N], packet(got)) {
						t.Fatalf("packet %d: %d bytes %q", got, m.N, m.Buffers[0][:min(m.N, 16)])
					}
					from := m.Addr.(*net.UDPAddr)
					// On loopback a packet comes from the address it went to.
					if from.Port != srcAddr.Port || !from.IP.Equal(dstAddr.IP) {
						t.Fatalf("packet %d from %v, sent from %v to %v", got, from, srcAddr, dstAddr)
					}
					got++
				}
			}
			if largest < 2 {
				t.Fatalf("20 queued packets were read one at a time")
			}
			if sent, _ := src.packets(); sent.Sent != n || sent.Received != 0 {
				t.Fatalf("the sender counted %+v, want %d sent", sent, n)
			}
			if read, _ := dst.packets(); read.Received != n || read.Sent != 0 {
				t.Fatalf("the reader counted %+v, want %d received", read, n)
			}
		})
	}
}

func packet(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("packet %02d;", i)), i+1) }

// TestRawUDPRefusesWhatItCannotSend: an IPv6 peer on an IPv4 socket, or no
// peer at all, is an error, not a panic or a packet sent elsewhere.
func TestRawUDPRefusesWhatItCannotSend(t *testing.T) {
	c, _ := listenRaw(t, "udp4", "127.0.0.1:0")
	for _, to := range []*net.UDPAddr{{IP: net.IPv6loopback, Port: 9}, nil, {IP: net.IP{1, 2}, Port: 9}} {
		if _, _, err := c.WriteMsgUDP([]byte("x"), nil, to); err == nil {
			t.Errorf("a send to %v went", to)
		}
	}
}

// TestRawUDPReadEndsWhenClosed: a read waiting in the poller returns when
// the socket closes (quic-go's read loop must end with its transport).
func TestRawUDPReadEndsWhenClosed(t *testing.T) {
	c, _ := listenRaw(t, "udp4", "127.0.0.1:0")
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadBatch(batch(), 0)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a read on a closed socket returned no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read did not end when its socket closed")
	}
}

// TestRawUDPSendAllocatesNothing: a send is a pooled message and one system
// call (the player's snapshot path makes twenty a second per player).
func TestRawUDPSendAllocatesNothing(t *testing.T) {
	_, dstAddr := listenRaw(t, "udp4", "127.0.0.1:0")
	src, _ := listenRaw(t, "udp4", "127.0.0.1:0")
	b := make([]byte, 1200)
	allocs := testing.AllocsPerRun(200, func() {
		if _, _, err := src.WriteMsgUDP(b, nil, dstAddr); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("a send allocates %.1f times", allocs)
	}
}

// TestQUICOverAnUnspecifiedAddress: a listener on every address (quic-go
// then reads each packet's destination from a control message and sends
// from it) serves a client dialing it at 127.0.0.1 over the raw socket.
func TestQUICOverAnUnspecifiedAddress(t *testing.T) {
	ln, ctls := listenDev(t, ":0")
	tr, err := NewTransport()
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := fmt.Sprintf("127.0.0.1:%d", ln.Addr().(*net.UDPAddr).Port)
	s, c := connectedBy(t, ctx, ln, func() (*Session, error) { return tr.Dial(ctx, addr, ctls) })
	if b, err := s.Recv(time.Now().Add(5 * time.Second)); err != nil || string(b) != "hello" {
		t.Fatalf("server read %q, %v", b, err)
	}
	for i := range 50 {
		if err := s.SendDatagram(packet(i % 10)); err != nil {
			t.Fatal(err)
		}
		d, err := c.RecvDatagram(ctx)
		if err != nil || !bytes.Equal(d, packet(i%10)) {
			t.Fatalf("datagram %d: %q, %v", i, d, err)
		}
	}
	// Each side counts every packet: the 50 datagrams at least one way, the
	// handshake, the stream and the ACKs both ways.
	server, sok := ln.Packets()
	client, cok := tr.Packets()
	if !sok || !cok || server.Sent < 50 || client.Received < 50 || server.Received < 2 || client.Sent < 2 {
		t.Fatalf("packets counted: listener %+v (%v), transport %+v (%v)", server, sok, client, cok)
	}
}

// TestAZoneGoesBackAsItCame: a link-local peer's zone comes as its
// interface index and goes back to the same interface, with no interface
// looked up by name on the way (a lookup asks the kernel: per packet, it
// would cost more than the send).
func TestAZoneGoesBackAsItCame(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no loopback interface named lo")
	}
	idx := uint32(lo.Index)
	var sa syscall.RawSockaddrAny
	in6 := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&sa))
	in6.Family, in6.Port, in6.Scope_id = syscall.AF_INET6, 0x3930, idx // port 12345 in network order
	in6.Addr = [16]byte{0xfe, 0x80, 15: 1}
	a := udpAddr(&sa)
	if a.Port != 12345 || a.Zone != fmt.Sprint(idx) || !a.IP.Equal(net.ParseIP("fe80::1")) {
		t.Fatalf("received from %v (zone %q, want the index %d)", a, a.Zone, idx)
	}
	if z := zoneIndex(a.Zone); z != idx {
		t.Fatalf("zone %q goes back to interface %d, want %d", a.Zone, z, idx)
	}
	if z := zoneIndex("lo"); z != idx {
		t.Fatalf("a zone by name (lo) found interface %d, want %d", z, idx)
	}
}
