package node

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
)

const kindDouble, kindIgnored = 10, 11

// TestAskAndAnswer: a question and its answer are two one-way messages
// matched by correlation id; a question nobody answers times out.
func TestAskAndAnswer(t *testing.T) {
	server := &recorder{onMsg: func(n *Node, m Message) {
		if m.Kind == kindDouble {
			v := binary.LittleEndian.Uint64(m.Payload)
			n.Reply(m, Out{Kind: kindDouble, Payload: binary.LittleEndian.AppendUint64(nil, 2*v)})
		}
	}}
	bcfg := testConfig("B")
	bcfg.Handler = server
	b := startNode(t, bcfg)
	acfg := testConfig("A")
	acfg.Handler = &recorder{}
	acfg.Peers = []Peer{{ID: "B", Addr: b.Addr()}}
	a := startNode(t, acfg)

	type result struct {
		v   uint64
		err error
	}
	answers := make(chan result, 20)
	for i := uint64(1); i <= 10; i++ {
		err := a.Ask("B", Out{Kind: kindDouble, Payload: binary.LittleEndian.AppendUint64(nil, i)}, 5*time.Second, func(m Message, err error) {
			if err != nil {
				answers <- result{err: err}
				return
			}
			answers <- result{v: binary.LittleEndian.Uint64(m.Payload)}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sum := uint64(0)
	for i := 0; i < 10; i++ {
		r := <-answers
		if r.err != nil {
			t.Fatal(r.err)
		}
		sum += r.v
	}
	if sum != 110 {
		t.Fatalf("sum of answers %d, want 110", sum)
	}

	start := time.Now()
	timedOut := make(chan error, 1)
	a.Ask("B", Out{Kind: kindIgnored}, 100*time.Millisecond, func(_ Message, err error) { timedOut <- err })
	select {
	case err := <-timedOut:
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("unanswered question: %v", err)
		}
		if time.Since(start) < 100*time.Millisecond {
			t.Fatal("timed out early")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no timeout")
	}
}

// TestBulkBacklogDoesNotDelayControl queues a large bulk backlog towards a
// slow receiver, then one control message: the control message overtakes
// the backlog, and the link stays up although the receiver's main loop is
// busy far longer than DeadAfter.
func TestBulkBacklogDoesNotDelayControl(t *testing.T) {
	rec := &recorder{delay: 200 * time.Microsecond}
	bcfg := testConfig("B")
	bcfg.Handler = rec
	bcfg.InboxSize = 64
	b := startNode(t, bcfg)
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: b.Addr()}}
	a := startNode(t, acfg)
	waitFor(t, "link", 5*time.Second, func() bool { return a.Connected("B") })

	const backlog = 5000 // about 1 s of the receiver's work, twice DeadAfter
	big := make([]byte, 4096)
	for i := 0; i < backlog; i++ {
		if err := a.Send("B", Out{Kind: 1, Priority: Bulk, Payload: big}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Send("B", Out{Kind: 2, Priority: Control, Payload: []byte("now")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the backlog", 30*time.Second, func() bool { return rec.count() == backlog+1 })
	pos := -1
	for i, m := range rec.snapshot() {
		if m.Kind == 2 {
			pos = i
		}
	}
	if pos < 0 || pos > backlog/5 { // what the socket buffers held already
		t.Fatalf("control message arrived at position %d of %d", pos, backlog+1)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, e := range rec.events {
		if !e.Up {
			t.Fatalf("link dropped under the backlog: %s", e.Reason)
		}
	}
}

// TestHistoryReplayAfterRestart: history-flagged messages are kept by the
// sender and replayed, marked, to a receiver that restarts and asks.
func TestHistoryReplayAfterRestart(t *testing.T) {
	rec := &recorder{}
	bcfg := testConfig("B")
	bcfg.Handler = rec
	b := startNode(t, bcfg)
	addr := b.Addr()
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: addr}}
	a := startNode(t, acfg)
	for i := 0; i < 5; i++ {
		a.Send("B", Out{Kind: 7, History: true, Payload: payload(i)})
		a.Send("B", Out{Kind: 8, Payload: payload(100 + i)}) // not history
	}
	waitFor(t, "10 messages", 5*time.Second, func() bool { return rec.count() == 10 })
	b.Stop()

	rec2 := &recorder{}
	bcfg.Handler = rec2
	bcfg.Listen = addr
	bcfg.HistoryOnConnect = true
	startNode(t, bcfg)
	waitFor(t, "replayed history", 5*time.Second, func() bool { return rec2.count() >= 5 })
	time.Sleep(100 * time.Millisecond)
	for i, m := range rec2.snapshot() {
		if m.Kind != 7 || !m.Replayed || !m.History || payloadIndex(m.Payload) != i {
			t.Fatalf("replayed message %d: %+v", i, m)
		}
	}
	if rec2.count() != 5 {
		t.Fatalf("%d messages after replay, want 5", rec2.count())
	}
}

// TestHostilePeersCannotHurtTheNode sends garbage on raw connections; the
// node refuses them and keeps serving a good peer.
func TestHostilePeersCannotHurtTheNode(t *testing.T) {
	rec := &recorder{}
	bcfg := testConfig("B")
	bcfg.Handler = rec
	bcfg.HandshakeTimeout = 300 * time.Millisecond
	b := startNode(t, bcfg)
	attacks := [][]byte{
		{0xff, 0xff, 0xff, 0x7f},                  // a 2 GiB frame header
		{0, 0, 0, 0},                              // an empty frame
		append([]byte{8, 0, 0, 0}, "GRNFjunk"...), // a frame that does not decode
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		{3, 0, 0}, // a cut header, then silence
	}
	// A valid hello followed by garbage instead of a proof.
	hello := codec.NewNodeEncoder().Hello(&codec.Hello{NodeID: "EVIL", Incarnation: 1, Nonce: make([]byte, 32), Protocol: 1})
	withHeader := binary.LittleEndian.AppendUint32(nil, uint32(len(hello)))
	attacks = append(attacks, append(append(withHeader, hello...), 9, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9))
	var wg sync.WaitGroup
	for _, a := range attacks {
		wg.Add(1)
		go func(a []byte) {
			defer wg.Done()
			c, err := net.Dial("tcp", b.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.Write(a)
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			io.Copy(io.Discard, c) // the node must close it
		}(a)
	}
	wg.Wait()
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: b.Addr()}}
	a := startNode(t, acfg)
	a.Send("B", Out{Kind: 1, Payload: []byte("still alive?")})
	waitFor(t, "the good peer's message", 5*time.Second, func() bool { return rec.count() == 1 })
	if b.Connected("EVIL") {
		t.Fatal("an unproven peer was linked")
	}
}

func TestAdminEndpoint(t *testing.T) {
	bcfg := testConfig("B")
	b := startNode(t, bcfg)
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: b.Addr()}}
	acfg.AdminToken = "the-admin-token"
	a := startNode(t, acfg)
	waitFor(t, "link", 5*time.Second, func() bool { return a.Connected("B") })

	token := ""
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+a.AdminAddr()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := get("/healthz")
	var h Health
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != 200 || h.ID != "A" || len(h.Peers) != 1 || !h.Peers[0].Up {
		t.Fatalf("healthz %d %s %v", code, body, err)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "gridrealm_link_peers_up 1") {
		t.Fatalf("metrics %d:\n%.500s", code, body)
	}
	if code, _ := get("/debug/pprof/"); code != http.StatusUnauthorized {
		t.Fatalf("pprof without the admin token: %d, want 401", code)
	}
	token = "the-admin-token"
	if code, body := get("/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("pprof %d", code)
	}
}

func TestOutboxOverflowIsRefusedAndCounted(t *testing.T) {
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "NOWHERE", Addr: "127.0.0.1:1"}}
	acfg.OutboxMessages = 10
	a := startNode(t, acfg)
	for i := 0; i < 10; i++ {
		if err := a.Send("NOWHERE", Out{Kind: 1, Priority: Gameplay}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Send("NOWHERE", Out{Kind: 1, Priority: Gameplay}); !errors.Is(err, ErrOutboxFull) {
		t.Fatalf("11th send: %v", err)
	}
	// Other priorities have their own room.
	if err := a.Send("NOWHERE", Out{Kind: 1, Priority: Control}); err != nil {
		t.Fatal(err)
	}
	if err := a.Send("STRANGER", Out{Kind: 1}); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
	if err := a.Send("NOWHERE", Out{Kind: 1, Priority: 9}); !errors.Is(err, ErrBadPriority) {
		t.Fatalf("bad priority: %v", err)
	}
	if !strings.Contains(metricText(t, a), `gridrealm_link_outbox_rejected_total{peer="NOWHERE",priority="Gameplay"} 1`) {
		t.Fatal("rejection not counted")
	}
}

func metricText(t *testing.T, n *Node) string {
	t.Helper()
	resp, err := http.Get("http://" + n.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestBothSidesDial: when two nodes dial each other, one link stays up and
// messages flow both ways.
func TestBothSidesDial(t *testing.T) {
	ra, rb := &recorder{}, &recorder{}
	acfg, bcfg := testConfig("A"), testConfig("B")
	acfg.Handler, bcfg.Handler = ra, rb
	a, b := startNode(t, acfg), startNode(t, bcfg)
	if err := a.AddPeer("B", b.Addr()); err != nil {
		t.Fatal(err)
	}
	if err := b.AddPeer("A", a.Addr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "link", 5*time.Second, func() bool { return a.Connected("B") && b.Connected("A") })
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 50; i++ {
		a.Send("B", Out{Kind: 1, Payload: payload(i)})
		b.Send("A", Out{Kind: 1, Payload: payload(i)})
	}
	waitFor(t, "both ways", 5*time.Second, func() bool { return ra.count() == 50 && rb.count() == 50 })
	if drops := strings.Count(metricText(t, a), "gridrealm_link_drops_total"); drops > 2 { // HELP, TYPE
		t.Fatalf("links flapped:\n%s", metricText(t, a))
	}
}

// TestPollMode: a node without a Handler is driven by its owner's loop.
func TestPollMode(t *testing.T) {
	bcfg := testConfig("B")
	b := startNode(t, bcfg)
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: b.Addr()}}
	a := startNode(t, acfg)
	for i := 0; i < 100; i++ {
		a.Send("B", Out{Kind: 1, Payload: payload(i)})
	}
	rec := &recorder{}
	waitFor(t, "100 polled", 5*time.Second, func() bool { b.Poll(rec, 16); return rec.count() == 100 })
	for i, m := range rec.snapshot() {
		if payloadIndex(m.Payload) != i {
			t.Fatalf("message %d has payload %d", i, payloadIndex(m.Payload))
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]func(*Config){
		"no id":          func(c *Config) { c.ID = "" },
		"short secret":   func(c *Config) { c.Secret = []byte("short") },
		"dead too short": func(c *Config) { c.DeadAfter = c.HeartbeatInterval },
		"self peer":      func(c *Config) { c.Peers = []Peer{{ID: c.ID, Addr: "127.0.0.1:1"}} },
		"tiny frame":     func(c *Config) { c.MaxFrame = 10 },
	}
	for name, mutate := range cases {
		cfg := testConfig("A")
		mutate(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestAfterRunsOnTheMainLoop(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig("A")
	cfg.Handler = rec
	a := startNode(t, cfg)
	fired := make(chan time.Duration, 1)
	start := time.Now()
	a.After(50*time.Millisecond, func() { fired <- time.Since(start) })
	select {
	case d := <-fired:
		if d < 50*time.Millisecond {
			t.Fatalf("fired after %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never fired")
	}
	if strings.Contains(metricText(t, a), "gridrealm_rpc_timeouts_total 1") {
		t.Fatal("a timer counted as an RPC timeout")
	}
}

// TestPollModeStopLosesNothing: a poll-mode node (the zone) stopped with
// messages it never polled does not acknowledge them; its next incarnation
// gets every one, once.
func TestPollModeStopLosesNothing(t *testing.T) {
	b := startNode(t, testConfig("B"))
	addr := b.Addr()
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: addr}}
	a := startNode(t, acfg)
	for i := 0; i < 10; i++ {
		if err := a.Send("B", Out{Kind: 1, Payload: payload(i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "10 messages in the inbox", 5*time.Second, func() bool { return len(b.inbox)+len(b.inboxCtl) >= 10 })
	b.Stop()
	bcfg := testConfig("B")
	bcfg.Listen = addr
	b2 := startNode(t, bcfg)
	rec := &recorder{}
	waitFor(t, "10 messages in the next incarnation", 5*time.Second, func() bool { b2.Poll(rec, 16); return rec.count() >= 10 })
	time.Sleep(100 * time.Millisecond)
	b2.Poll(rec, 16)
	for i, m := range rec.snapshot() {
		if payloadIndex(m.Payload) != i || i >= 10 {
			t.Fatalf("message %d has payload %d (of %d)", i, payloadIndex(m.Payload), rec.count())
		}
	}
}

// TestVolatileIsNotReplayedToANewIncarnation: what a node sent a peer that
// then restarted without processing it reaches the new incarnation only if
// it was not volatile (per-tick state is fresh from its owner instead), in
// order and without a gap in the sequence.
func TestVolatileIsNotReplayedToANewIncarnation(t *testing.T) {
	b := startNode(t, testConfig("B"))
	addr := b.Addr()
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: addr}}
	a := startNode(t, acfg)
	for i := 0; i < 20; i++ {
		if err := a.Send("B", Out{Kind: 1, Priority: Gameplay, Volatile: i%2 == 1, Payload: payload(i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "20 messages at B", 5*time.Second, func() bool { return len(b.inbox) >= 20 })
	b.Stop() // polled nothing: nothing acknowledged
	waitFor(t, "A to see B go", 5*time.Second, func() bool { return !a.Connected("B") })
	bcfg := testConfig("B")
	bcfg.Listen = addr
	b2 := startNode(t, bcfg)
	waitFor(t, "A to link to the new incarnation", 5*time.Second, func() bool { return a.Connected("B") })
	for i := 20; i < 24; i++ { // sent on its link: delivered, volatile or not
		a.Send("B", Out{Kind: 1, Priority: Gameplay, Volatile: true, Payload: payload(i)})
	}
	rec := &recorder{}
	waitFor(t, "the new incarnation's messages", 5*time.Second, func() bool { b2.Poll(rec, 64); return rec.count() >= 14 })
	time.Sleep(100 * time.Millisecond)
	b2.Poll(rec, 64)
	var got []int
	for _, m := range rec.snapshot() {
		got = append(got, payloadIndex(m.Payload))
	}
	want := []int{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 21, 22, 23}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the new incarnation got %v, want %v", got, want)
	}
	if !strings.Contains(metricText(t, a), `gridrealm_link_volatile_dropped_total{peer="B"} 10`) {
		t.Fatal("the 10 volatile messages were not counted as dropped")
	}
}

// TestControlOvertakesAGameplayBacklog: a control message that arrives
// behind a backlog of gameplay state is handled first.
func TestControlOvertakesAGameplayBacklog(t *testing.T) {
	b := startNode(t, testConfig("B"))
	acfg := testConfig("A")
	acfg.Peers = []Peer{{ID: "B", Addr: b.Addr()}}
	a := startNode(t, acfg)
	for i := 0; i < 500; i++ {
		a.Send("B", Out{Kind: 1, Priority: Gameplay, Payload: payload(i)})
	}
	waitFor(t, "the backlog", 5*time.Second, func() bool { return len(b.inbox) >= 500 })
	a.Send("B", Out{Kind: 2, Priority: Control, Payload: payload(9999)})
	waitFor(t, "the control message", 5*time.Second, func() bool { return len(b.inboxCtl) >= 2 }) // the link's up event and it
	rec := &recorder{}
	b.Poll(rec, 1) // the link event
	b.Poll(rec, 1)
	if msgs := rec.snapshot(); len(msgs) != 1 || msgs[0].Kind != 2 {
		t.Fatalf("first handled: %+v", msgs)
	}
}
