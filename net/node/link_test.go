package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const perPriority = 2000

// sendStream sends perPriority messages on each priority, interleaved, with
// the index as payload, calling between after every batch. Sends that find
// the outbox full are retried: nothing may be skipped.
func sendStream(t *testing.T, a *Node, to string, between func(i int)) {
	t.Helper()
	for i := 0; i < perPriority; i++ {
		for _, pr := range []Priority{Control, Gameplay, Bulk} {
			for {
				err := a.Send(to, Out{Kind: 1, Priority: pr, Payload: payload(i)})
				if err == nil {
					break
				}
				if !errors.Is(err, ErrOutboxFull) {
					t.Fatal(err)
				}
				time.Sleep(time.Millisecond)
			}
		}
		if i%100 == 99 {
			between(i)
		}
	}
}

// checkExactlyOnce checks that each priority's payloads are 0..perPriority-1
// in order, each once.
func checkExactlyOnce(t *testing.T, msgs []Message) {
	t.Helper()
	next := map[Priority]int{}
	for _, m := range msgs {
		i := payloadIndex(m.Payload)
		if i != next[m.Priority] {
			t.Fatalf("%s: got message %d, want %d (duplicate or gap)", m.Priority, i, next[m.Priority])
		}
		next[m.Priority]++
	}
	for _, pr := range []Priority{Control, Gameplay, Bulk} {
		if next[pr] != perPriority {
			t.Fatalf("%s: %d messages, want %d", pr, next[pr], perPriority)
		}
	}
}

// TestReceiverRestartMidStream stops the receiving node twice while the
// sender keeps sending, starts it again on the same address, and checks that
// every message arrived exactly once, in order within its priority.
func TestReceiverRestartMidStream(t *testing.T) {
	rec := &recorder{}
	bcfg := testConfig("B")
	bcfg.Handler = rec
	b := startNode(t, bcfg)
	addr := b.Addr()
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: addr}}
	a := startNode(t, acfg)

	restarts := 0
	sendStream(t, a, "B", func(i int) {
		if i != 599 && i != 1399 {
			return
		}
		waitFor(t, "some messages to arrive", 5*time.Second, func() bool { return rec.count() > 0 })
		b.Stop()
		restarts++
		bcfg.Listen = addr
		b = startNode(t, bcfg)
	})
	waitFor(t, "every message", 20*time.Second, func() bool { return rec.count() >= 3*perPriority })
	time.Sleep(200 * time.Millisecond) // anything extra would arrive now
	if restarts != 2 {
		t.Fatalf("restarted %d times", restarts)
	}
	checkExactlyOnce(t, rec.snapshot())
}

// TestLinkCutMidStream cuts the TCP connections under a live link, plain
// and over TLS: the nodes reconnect and nothing is lost or repeated.
func TestLinkCutMidStream(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "tls"}[secure], func(t *testing.T) {
			rec := &recorder{}
			bcfg, acfg := testConfig("B"), testConfig("A")
			if secure {
				ca := newTestCA(t)
				bcfg.TLS, acfg.TLS = ca.link(t, "B"), ca.link(t, "A")
			}
			bcfg.Handler = rec
			b := startNode(t, bcfg)
			px := newProxy(t, b.Addr())
			acfg.Peers = []Peer{{ID: "B", Addr: px.addr()}}
			a := startNode(t, acfg)
			sendStream(t, a, "B", func(i int) {
				if i%500 == 499 {
					px.cut()
				}
			})
			waitFor(t, "every message", 20*time.Second, func() bool { return rec.count() >= 3*perPriority })
			time.Sleep(200 * time.Millisecond)
			checkExactlyOnce(t, rec.snapshot())
		})
	}
}

// TestReceiverCrashLosesNothing kills the receiver without a graceful stop:
// nothing is lost and order holds; what it processed but had not yet
// acknowledged may come again (at least once), as the package documents.
func TestReceiverCrashLosesNothing(t *testing.T) {
	rec := &recorder{}
	bcfg := testConfig("B")
	bcfg.Handler = rec
	b := startNode(t, bcfg)
	addr := b.Addr()
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: addr}}
	a := startNode(t, acfg)
	sendStream(t, a, "B", func(i int) {
		if i == 999 {
			b.Kill()
			bcfg.Listen = addr
			b = startNode(t, bcfg)
		}
	})
	waitFor(t, "every message", 20*time.Second, func() bool {
		seen := map[string]bool{}
		for _, m := range rec.snapshot() {
			seen[fmt.Sprint(m.Priority, payloadIndex(m.Payload))] = true
		}
		return len(seen) == 3*perPriority
	})
	// Per priority: indexes never go backwards except to repeat a suffix
	// after the crash, and never skip.
	last := map[Priority]int{Control: -1, Gameplay: -1, Bulk: -1}
	for _, m := range rec.snapshot() {
		i := payloadIndex(m.Payload)
		if i > last[m.Priority]+1 {
			t.Fatalf("%s: gap before %d", m.Priority, i)
		}
		last[m.Priority] = max(last[m.Priority], i)
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	logs := &syncBuffer{}
	rec := &recorder{}
	bcfg := testConfig("B")
	bcfg.Handler = rec
	bcfg.Logger = slogTo(logs)
	b := startNode(t, bcfg)
	acfg := testConfig("A")
	acfg.Secret = []byte("another-secret-of-enough-length")
	acfg.Peers = []Peer{{ID: "B", Addr: b.Addr()}}
	a := startNode(t, acfg)
	if err := a.Send("B", Out{Kind: 1, Payload: []byte("let me in")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refusal in B's log", 5*time.Second, func() bool {
		return strings.Contains(logs.String(), "link refused: peer does not know the cluster secret")
	})
	if !strings.Contains(logs.String(), `peer \"A\"`) {
		t.Errorf("the log line does not name the peer:\n%s", logs.String())
	}
	time.Sleep(200 * time.Millisecond)
	if a.Connected("B") || b.Connected("A") || rec.count() != 0 {
		t.Fatalf("link with a wrong secret: connected %v/%v, %d messages", a.Connected("B"), b.Connected("A"), rec.count())
	}
}

func TestPeerEvents(t *testing.T) {
	rec := &recorder{}
	bcfg := testConfig("B")
	bcfg.Handler = rec
	b := startNode(t, bcfg)
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: b.Addr()}}
	a := startNode(t, acfg)
	waitFor(t, "link up", 5*time.Second, func() bool { return b.Connected("A") })
	a.Kill()
	waitFor(t, "link down event", 5*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.events) >= 2 && !rec.events[len(rec.events)-1].Up
	})
	if !rec.events[0].Up || rec.events[0].Peer != "A" {
		t.Fatalf("events %+v", rec.events)
	}
}

// TestRemovePeerStopsDialing: a removed peer's link closes and the node
// no longer dials it, even when it comes back.
func TestRemovePeerStopsDialing(t *testing.T) {
	rec := &recorder{}
	bcfg := testConfig("B")
	bcfg.Handler = rec
	b := startNode(t, bcfg)
	addr := b.Addr()
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: addr}}
	a := startNode(t, acfg)
	waitFor(t, "the link", 5*time.Second, func() bool { return a.Connected("B") })
	a.RemovePeer("B")
	waitFor(t, "the link to close", 5*time.Second, func() bool { return !a.Connected("B") && !b.Connected("A") })
	b.Stop()
	bcfg.Listen = addr
	b = startNode(t, bcfg)
	time.Sleep(500 * time.Millisecond) // A would have dialed within its backoff
	if b.Connected("A") || a.Connected("B") {
		t.Fatal("a removed peer was dialed again")
	}
	if err := a.Send("B", Out{Kind: 1, Payload: []byte("x")}); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("send to a removed peer: %v", err)
	}
}
