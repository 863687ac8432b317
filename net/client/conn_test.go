package client

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// TestConnAgainstAScriptedGateway plays a gateway by hand over real QUIC:
// the client applies snapshots and acknowledges them; its inputs claim
// where it last saw itself, also once its own entity is missing from a
// snapshot (not the spawn point); a datagram over the announced budget is
// counted; events reach OnEvent; a Disconnect's reason is kept and Done
// closes.
func TestConnAgainstAScriptedGateway(t *testing.T) {
	stls, ctls := devTLS(t)
	ln, err := pquic.Listen("127.0.0.1:0", stls)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const self, budget = 9, 300
	served := make(chan *pquic.Session, 1)
	go func() {
		in, err := ln.Accept(ctx)
		if err != nil {
			return
		}
		s, err := in.Open(ctx, 5*time.Second)
		if err != nil {
			return
		}
		if _, err := s.Recv(time.Now().Add(5 * time.Second)); err != nil { // the Connect
			return
		}
		s.Send(codec.NewPlayerEncoder().Welcome(&codec.Welcome{EntityID: self, Zone: "Z", TickHz: 20, CellSize: 32,
			SnapshotBudget: budget, X: 10 * 256, Y: 10 * 256}))
		served <- s
	}()

	var mu sync.Mutex
	var chats []string
	var applied []error
	c, err := ConnectWith(ctx, ln.Addr().String(), ctls, make([]byte, codec.SessionHandleSize), Options{
		OnSnapshot: func(s *codec.Snapshot, size int, applyErr error, w *World) {
			mu.Lock()
			applied = append(applied, applyErr)
			mu.Unlock()
		},
		OnEvent: func(m *wire.ServerMessage) {
			if m.BodyType() == wire.ServerBodyChat {
				var ch wire.Chat
				codec.Member(m.Body, &ch)
				mu.Lock()
				chats = append(chats, string(ch.From())+": "+string(ch.Text()))
				mu.Unlock()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	gw := <-served
	if c.Welcome.EntityID != self || c.Welcome.SnapshotBudget != budget {
		t.Fatalf("welcome %+v", c.Welcome)
	}
	enc := codec.NewSnapshotEncoder()
	send := func(s codec.Snapshot) {
		t.Helper()
		if err := gw.SendDatagram(enc.Encode(&s)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool {
			latest := uint32(0)
			c.View(func(w *World) { latest = w.Latest() })
			return latest == s.Seq
		})
	}
	input := func() codec.Input {
		t.Helper()
		if err := c.SendInput(codec.Input{MoveX: 5}); err != nil {
			t.Fatal(err)
		}
		b, err := gw.RecvDatagram(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var in codec.Input
		if err := codec.ReadInput(b, &in); err != nil {
			t.Fatal(err)
		}
		return in
	}

	// Full state: the player at (20 m, 30 m) and a neighbour.
	send(codec.Snapshot{Seq: 1, Updates: codec.Updates{Enters: []codec.Spawn{
		{ID: self, X: 20 * 256, Y: 30 * 256, Kind: wire.EntityKindPlayer}, {ID: 4, X: 25 * 256, Y: 30 * 256}}}})
	if in := input(); in.X != 20*256 || in.Y != 30*256 || in.Ack != 1 || in.MoveX != 5 {
		t.Fatalf("first input %+v: want the claim (20 m, 30 m) acknowledging snapshot 1", in)
	}
	// A delta without the player itself: the claim stays where it was seen.
	send(codec.Snapshot{Seq: 2, Baseline: 1, Updates: codec.Updates{Leaves: []uint32{self}}})
	if in := input(); in.X != 20*256 || in.Y != 30*256 || in.Ack != 2 {
		t.Fatalf("input without the player in view %+v: want the last seen (20 m, 30 m), not the spawn point", in)
	}
	// A snapshot over the announced budget is counted.
	big := codec.Snapshot{Seq: 3}
	for id := uint32(100); id < 140; id++ {
		big.Enters = append(big.Enters, codec.Spawn{ID: id, X: uint16(id), Y: 1})
	}
	send(big)
	// An event, then a disconnect with its reason.
	gw.Send(codec.NewPlayerEncoder().Chat(codec.ChatSay, "ann", "hi", 1))
	waitFor(t, func() bool { return c.Counters().Chats == 1 })
	gw.Send(codec.NewPlayerEncoder().Disconnect(wire.DisconnectReasonMessageFlood, "far too many inputs"))
	gw.Close(wire.DisconnectReasonMessageFlood, "far too many inputs")
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done did not close after the gateway closed the connection")
	}
	waitFor(t, func() bool { return c.Counters().Disconnect != 0 })

	st := c.Counters()
	if st.Snapshots != 3 || st.Skipped != 0 || st.OverBudget != 1 || st.MaxDatagram <= budget {
		t.Fatalf("stats %+v: want 3 snapshots, none skipped, 1 over a budget of %d", st, budget)
	}
	if st.Disconnect != wire.DisconnectReasonMessageFlood || c.Err() == nil {
		t.Fatalf("disconnect %v, err %v", st.Disconnect, c.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(applied) != 3 || applied[0] != nil || applied[1] != nil || applied[2] != nil {
		t.Fatalf("OnSnapshot saw %v", applied)
	}
	if len(chats) != 1 || chats[0] != "ann: hi" {
		t.Fatalf("OnEvent saw chats %q", chats)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
