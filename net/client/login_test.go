package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
)

// A login still in line when the caller's deadline comes ends with the
// caller's deadline (context.DeadlineExceeded), not with the login node's
// silence, even though the read waiting for the node's next word has the
// same deadline and may fail a moment before the context says so: a
// caller that told the two apart would count a player in line as one the
// login node dropped. The node here tells the player its place, then
// nothing; every run of the race must end the same way.
func TestALoginInLineEndsWithTheCallersDeadline(t *testing.T) {
	serverTLS, clientTLS := devTLS(t)
	ln, err := pquic.Listen("127.0.0.1:0", serverTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			in, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				s, err := in.Open(ctx, 5*time.Second)
				if err != nil {
					return
				}
				if _, err := s.Recv(time.Now().Add(5 * time.Second)); err != nil {
					return
				}
				s.Send(codec.NewPlayerEncoder().LoginQueued(7, 0, true, nil))
				<-ctx.Done()
			}()
		}
	}()
	logins := &LoginNodes{Addrs: []string{ln.Addr().String(), ln.Addr().String()}, TLS: clientTLS}
	for range 20 {
		lctx, lcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		var told InLine
		_, err := logins.LoginInLine(lctx, "alice", "pw", "dev", func(p InLine) { told = p })
		lcancel()
		if !errors.Is(err, context.DeadlineExceeded) || told.Position != 7 {
			t.Fatalf("in line at place %d when the deadline came: %v", told.Position, err)
		}
	}
}
