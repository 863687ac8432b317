package pquic

import (
	"context"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

// TestAcceptDoesNotWaitForStreams: a client that connects but never opens
// its stream does not hold up the next client. (When Accept waited for the
// stream, a few slow clients filled quic-go's accept queue and new
// connections were refused.)
func TestAcceptDoesNotWaitForStreams(t *testing.T) {
	certPEM, keyPEM, err := DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	stls, _ := ServerTLS(certPEM, keyPEM)
	ctls, _ := ClientTLS(certPEM)
	ln, err := Listen("127.0.0.1:0", stls)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
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
