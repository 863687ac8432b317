package pquic

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/frame"
	"github.com/gridrealm/gridrealm/net/wire"
)

// listenDev listens on addr with a new dev certificate, closed at the
// test's end, and returns the TLS config of clients that trust it.
func listenDev(t *testing.T, addr string) (*Listener, *tls.Config) {
	t.Helper()
	stls, ctls, err := DevTLS()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(addr, stls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ctls
}

// TestAcceptDoesNotWaitForStreams: a client that connects but never opens
// its stream does not hold up the next client. (When Accept waited for the
// stream, a few slow clients filled quic-go's accept queue and new
// connections were refused.)
func TestAcceptDoesNotWaitForStreams(t *testing.T) {
	ln, ctls := listenDev(t, "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	silent, err := quic.DialAddr(ctx, ln.Addr().String(), ctls, Config()) // no stream, ever
	if err != nil {
		t.Fatal(err)
	}
	defer silent.CloseWithError(0, "")
	first, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		_, err := first.Open(ctx, 300*time.Millisecond)
		opened <- err
	}()

	client, err := Dial(ctx, ln.Addr().String(), ctls)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close(0, "")
	if err := client.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := second.Open(ctx, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := s.Recv(time.Now().Add(5 * time.Second)); err != nil || string(b) != "hello" {
		t.Fatalf("second client: %q, %v", b, err)
	}
	if waited := time.Since(start); waited > 250*time.Millisecond {
		t.Logf("the second client waited %v (a loaded machine?)", waited)
	}
	if err := <-opened; err == nil {
		t.Fatal("a connection that never opened its stream was opened")
	}
}

// TestDevCertCreatedOnceWhenNodesStartTogether: nodes that find no
// certificate at the same time end with one pair, the same for all, whose
// key matches its certificate.
func TestDevCertCreatedOnceWhenNodesStartTogether(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	certs := make([][]byte, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, k, err := LoadOrCreateDevCert(dir)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := tls.X509KeyPair(c, k); err != nil {
				t.Errorf("a node got a certificate and a key that do not match: %v", err)
			}
			certs[i] = c
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if !bytes.Equal(certs[i], certs[0]) {
			t.Fatal("nodes got different certificates")
		}
	}
}

// TestClosingAListenerLetsItsConnectionsSayWhy: a stopping server closes
// its listener first and then each connection with its reason; the
// connections outlive the listener long enough to say it, and the socket
// is let go once they ended (the same port can be listened on again).
func TestClosingAListenerLetsItsConnectionsSayWhy(t *testing.T) {
	ln, ctls := listenDev(t, "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server, client := connected(t, ctx, ln, ctls, ln.Addr().String())
	addr := ln.Addr().String()
	ln.Close()
	server.Close(wire.DisconnectReasonDatabaseFailure, "the realm's database is being restored")
	select {
	case <-client.Done():
	case <-ctx.Done():
		t.Fatal("the client never saw its connection close")
	}
	_, err := client.Recv(time.Now().Add(time.Second))
	if reason, text, ok := CloseReason(err); !ok || reason != wire.DisconnectReasonDatabaseFailure {
		t.Fatalf("the client was told %v %q (%v), want DatabaseFailure", reason, text, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ua, _ := net.ResolveUDPAddr("udp", addr)
		again, err := net.ListenUDP("udp", ua)
		if err == nil {
			again.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the port is still held after its last connection ended: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestASessionCarriesItsLargestMessage: a reliable message of
// codec.MaxPlayerMessage bytes, sixteen times the session's buffer, goes
// both ways whole, between small ones; one byte more is refused.
func TestASessionCarriesItsLargestMessage(t *testing.T) {
	ln, ctls := listenDev(t, "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server, client := connected(t, ctx, ln, ctls, ln.Addr().String())
	if _, err := server.Recv(time.Now().Add(5 * time.Second)); err != nil { // connected's hello
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), codec.MaxPlayerMessage/16)
	for _, dir := range []struct {
		name     string
		from, to *Session
	}{{"to the client", server, client}, {"to the server", client, server}} {
		for _, msg := range [][]byte{[]byte("before"), big, []byte("after")} {
			if err := dir.from.Send(msg); err != nil {
				t.Fatalf("%s: send %d bytes: %v", dir.name, len(msg), err)
			}
		}
		for _, want := range [][]byte{[]byte("before"), big, []byte("after")} {
			got, err := dir.to.Recv(time.Now().Add(5 * time.Second))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: got %d bytes (%v), want %d", dir.name, len(got), err, len(want))
			}
		}
	}
	if err := client.Send(make([]byte, codec.MaxPlayerMessage+1)); !errors.Is(err, frame.ErrTooLarge) {
		t.Fatalf("a message over the limit: %v", err)
	}
}
