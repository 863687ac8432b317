package login

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/store"
)

var secret = []byte("login-test-secret-0123456789")

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// realmNode records what the login node hands over.
type realmNode struct {
	mu       sync.Mutex
	sessions []codec.SessionCreated
	full     bool // every gateway full: sessions refused
	refused  int  // sessions refused
}

func (r *realmNode) HandleMessage(n *node.Node, m node.Message) {
	var msg wire.RealmMessage
	if m.Kind != kinds.Realm || codec.DecodeRealmMessage(m.Payload, len(m.Payload), &msg) != nil {
		return
	}
	if msg.BodyType() == wire.RealmBodyRealmPopulationRequest { // as many players as sessions
		r.mu.Lock()
		players := uint32(len(r.sessions))
		r.mu.Unlock()
		n.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().Population(players)})
		return
	}
	var sc wire.SessionCreated
	codec.Member(msg.Body, &sc)
	r.mu.Lock()
	full := r.full
	if !full {
		r.sessions = append(r.sessions, codec.ReadSessionCreated(&sc))
	} else {
		r.refused++
	}
	r.mu.Unlock()
	if full {
		n.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().SessionAssigned("", true, 15000)})
		return
	}
	// The realm assigns the second gateway: the login node lists it first.
	n.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().SessionAssigned("127.0.0.1:7444", false, 0)})
}
func (*realmNode) HandlePeer(*node.Node, node.PeerEvent) {}

type fixture struct {
	login  *Node
	realm  *realmNode
	rn     *node.Node
	client *tls.Config
}

func start(t *testing.T, tweak func(*Config)) *fixture {
	t.Helper()
	rec := &realmNode{}
	rn, err := node.New(node.Config{ID: "REALM", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet(), Handler: rec})
	if err != nil {
		t.Fatal(err)
	}
	rn.Start()
	t.Cleanup(rn.Stop)
	certPEM, keyPEM, err := DevCertForTest()
	if err != nil {
		t.Fatal(err)
	}
	serverTLS, _ := pquic.ServerTLS(certPEM, keyPEM)
	clientTLS, _ := pquic.ClientTLS(certPEM)
	cfg := Config{
		Node:   node.Config{ID: "LOGIN", Secret: secret, Logger: quiet(), Peers: []node.Peer{{ID: "REALM", Addr: rn.Addr()}}},
		Listen: "127.0.0.1:0", TLS: serverTLS, Accounts: store.Config{Dir: t.TempDir()},
		Realms: map[string]Realm{"dev": {Node: "REALM", Gateways: []string{"127.0.0.1:7443", "127.0.0.1:7444"}}},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	l, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Stop)
	if err := l.CreateAccount("alice", "correct horse"); err != nil && !errors.Is(err, store.ErrExists) { // a shared login db has it already
		t.Fatal(err)
	}
	for !l.Node().Connected("REALM") {
		time.Sleep(5 * time.Millisecond)
	}
	return &fixture{login: l, realm: rec, rn: rn, client: clientTLS}
}

// DevCertForTest makes a throwaway certificate.
func DevCertForTest() ([]byte, []byte, error) { return pquic.DevCertificate() }

// send sends one request and returns the answer (or the error closing
// the connection).
func (f *fixture) send(payload []byte) (wire.ServerMessage, error) {
	var m wire.ServerMessage
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := pquic.Dial(ctx, f.login.Addr(), f.client)
	if err != nil {
		return m, err
	}
	defer s.Close(0, "")
	if err := s.Send(payload); err != nil {
		return m, err
	}
	b, _, err := recvAnswer(s, time.Now().Add(20*time.Second))
	if err != nil {
		return m, err
	}
	return m, codec.DecodeServerMessage(b, &m)
}

// recvAnswer reads the login node's answer, past the LoginQueued it sends
// while the attempt waits in line (their count is returned, and the last
// one's place).
func recvAnswer(s *pquic.Session, deadline time.Time) (answer []byte, queued []uint32, err error) {
	for {
		b, err := s.Recv(deadline)
		if err != nil {
			return nil, queued, err
		}
		var m wire.ServerMessage
		if err := codec.DecodeServerMessage(b, &m); err != nil || m.BodyType() != wire.ServerBodyLoginQueued {
			return b, queued, nil
		}
		var q wire.LoginQueued
		codec.Member(m.Body, &q)
		queued = append(queued, q.Position())
	}
}

// attempt logs in and returns the answer (or the error closing the
// connection).
func (f *fixture) attempt(t *testing.T, account, password, realm string) (codec.LoginResult, error) {
	t.Helper()
	m, err := f.send(codec.NewPlayerEncoder().LoginRequest(account, password, realm, 1, nil))
	if err != nil {
		return codec.LoginResult{}, err
	}
	if m.BodyType() != wire.ServerBodyLoginResult {
		t.Fatalf("answer: %v", m.BodyType())
	}
	var r wire.LoginResult
	codec.Member(m.Body, &r)
	res := codec.LoginResult{Status: r.Status(), RetryAfterMs: r.RetryAfterMs(), SessionHandle: append([]byte(nil), r.SessionHandleBytes()...),
		ExpiresUnixMs: r.ExpiresUnixMs(), Message: string(r.Message())}
	for i := 0; i < r.GatewaysLength(); i++ {
		res.Gateways = append(res.Gateways, string(r.Gateways(i)))
	}
	return res, nil
}

func TestLoginHandsTheSessionToTheRealm(t *testing.T) {
	f := start(t, nil)
	res, err := f.attempt(t, "alice", "correct horse", "dev")
	if err != nil || res.Status != wire.LoginStatusOk {
		t.Fatalf("login: %+v %v", res, err)
	}
	if len(res.SessionHandle) != 32 || bytes.Equal(res.SessionHandle, make([]byte, 32)) {
		t.Fatalf("handle %x", res.SessionHandle)
	}
	if fmt.Sprint(res.Gateways) != "[127.0.0.1:7444 127.0.0.1:7443]" || res.ExpiresUnixMs < time.Now().Add(time.Minute).UnixMilli() {
		t.Fatalf("result %+v", res)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.realm.mu.Lock()
		n := len(f.realm.sessions)
		f.realm.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the realm node never heard of the session")
		}
		time.Sleep(5 * time.Millisecond)
	}
	sc := f.realm.sessions[0]
	if !bytes.Equal(sc.Handle, res.SessionHandle) || sc.Account != "alice" || sc.ExpiresUnixMs != res.ExpiresUnixMs {
		t.Fatalf("session at the realm: %+v", sc)
	}
	again, _ := f.attempt(t, "alice", "correct horse", "dev")
	if bytes.Equal(again.SessionHandle, res.SessionHandle) {
		t.Fatal("two logins, one handle")
	}
}

// TestFailuresDoNotRevealAccounts: a wrong password and an unknown account
// get the same answer.
func TestFailuresDoNotRevealAccounts(t *testing.T) {
	f := start(t, func(c *Config) { c.Burst = 10 })
	wrong, err1 := f.attempt(t, "alice", "wrong", "dev")
	unknown, err2 := f.attempt(t, "nobody", "wrong", "dev")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if wrong.Status != wire.LoginStatusDenied || unknown.Status != wrong.Status || unknown.Message != wrong.Message ||
		len(wrong.SessionHandle) != 0 || len(unknown.SessionHandle) != 0 {
		t.Fatalf("wrong password %+v, unknown account %+v", wrong, unknown)
	}
	if r, _ := f.attempt(t, "alice", "correct horse", "elsewhere"); r.Status != wire.LoginStatusUnknownRealm {
		t.Fatalf("unknown realm: %+v", r)
	}
}

func TestAttemptsAreRateLimitedPerAddress(t *testing.T) {
	f := start(t, func(c *Config) { c.PerSecond, c.Burst = 0.01, 2 })
	for i := 0; i < 2; i++ {
		if r, _ := f.attempt(t, "alice", "wrong", "dev"); r.Status != wire.LoginStatusDenied {
			t.Fatalf("attempt %d: %+v", i, r)
		}
	}
	if r, _ := f.attempt(t, "alice", "correct horse", "dev"); r.Status != wire.LoginStatusRateLimited {
		t.Fatalf("third attempt: %+v", r)
	}
}

// TestFloodIsToldBusy: far more logins than workers and queue: the excess
// is told Busy at once, nobody hangs, and the node serves afterwards.
func TestFloodIsToldBusy(t *testing.T) {
	f := start(t, func(c *Config) { c.Workers, c.Queue, c.Burst, c.PerSecond = 1, 1, 100, 100 })
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[wire.LoginStatus]int{}
	var hinted atomic.Int64
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.attempt(t, "alice", "wrong", "dev")
			if err != nil {
				t.Error(err)
				return
			}
			if r.Status == wire.LoginStatusBusy && r.RetryAfterMs > 0 {
				hinted.Add(1)
			}
			mu.Lock()
			counts[r.Status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[wire.LoginStatusBusy] == 0 || counts[wire.LoginStatusDenied] == 0 || counts[wire.LoginStatusBusy]+counts[wire.LoginStatusDenied] != 12 {
		t.Fatalf("outcomes %v", counts)
	}
	if hinted.Load() != int64(counts[wire.LoginStatusBusy]) {
		t.Fatalf("%d of %d Busy answers carry a retry hint", hinted.Load(), counts[wire.LoginStatusBusy])
	}
	if r, _ := f.attempt(t, "alice", "correct horse", "dev"); r.Status != wire.LoginStatusOk {
		t.Fatalf("after the flood: %+v", r)
	}
}

// TestHostileClientsAreDropped: garbage, or a message that is not a login
// request, closes that connection with a reason; the node serves on.
func TestHostileClientsAreDropped(t *testing.T) {
	f := start(t, nil)
	for _, junk := range [][]byte{[]byte("hello?"), codec.NewPlayerEncoder().ChatSend(0, "", "hi")} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := pquic.Dial(ctx, f.login.Addr(), f.client)
		if err != nil {
			t.Fatal(err)
		}
		s.Send(junk)
		_, err = s.Recv(time.Now().Add(10 * time.Second))
		reason, _, ok := pquic.CloseReason(err)
		if !ok || reason != wire.DisconnectReasonProtocolError {
			t.Fatalf("after %q: %v", junk, err)
		}
		cancel()
	}
	if r, _ := f.attempt(t, "alice", "correct horse", "dev"); r.Status != wire.LoginStatusOk {
		t.Fatalf("after hostile clients: %+v", r)
	}
}

func TestNoZeroRTT(t *testing.T) {
	if pquic.Config().Allow0RTT {
		t.Fatal("0-RTT data would be accepted: a replayed first flight could log in")
	}
}

// TestFullRealmAnswersBusyWithARetryHint: on a login node without a line
// for full realms (RealmLine -1), when the realm node says every gateway
// is full, a good password gets Busy, the realm's retry hint and a message
// saying why, and no session.
func TestFullRealmAnswersBusyWithARetryHint(t *testing.T) {
	f := start(t, func(c *Config) { c.Workers, c.PerAddress, c.Burst, c.PerSecond, c.RealmLine = 1, 10, 100, 100, -1 })
	f.realm.mu.Lock()
	f.realm.full = true
	f.realm.mu.Unlock()
	// Six at once, one worker: the first's check hears the realm is full;
	// those waiting in line behind it are told so without a check.
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.attempt(t, "alice", "correct horse", "dev")
			if err != nil || res.Status != wire.LoginStatusBusy || res.RetryAfterMs != 15000 || len(res.SessionHandle) != 0 ||
				!strings.Contains(res.Message, "the realm is full: try again in 15 s") {
				t.Errorf("login to a full realm: %+v %v", res, err)
			}
		}()
	}
	wg.Wait()
	// For a moment after, logins are told before their password check
	// (a wrong password too: nothing is checked), and the realm node is
	// not asked again.
	t0 := time.Now()
	for _, pw := range []string{"correct horse", "wrong"} {
		res, err := f.attempt(t, "alice", pw, "dev")
		if err != nil || res.Status != wire.LoginStatusBusy || res.RetryAfterMs != 15000 || !strings.Contains(res.Message, "the realm is full") {
			t.Fatalf("login %q to a realm full a moment ago: %+v %v", pw, res, err)
		}
	}
	if elapsed := time.Since(t0); elapsed < fullFor {
		f.realm.mu.Lock()
		asked := f.realm.refused
		f.realm.full = false
		f.realm.mu.Unlock()
		if asked != 1 {
			t.Fatalf("the realm node was asked %d times within %v, want once", asked, fullFor)
		}
	}
	// Once it has room again, logins get in (after fullFor at the latest).
	deadline := time.Now().Add(fullFor + 5*time.Second)
	for {
		f.realm.mu.Lock()
		f.realm.full = false
		f.realm.mu.Unlock()
		res, err := f.attempt(t, "alice", "correct horse", "dev")
		if err == nil && res.Status == wire.LoginStatusOk {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the realm has room again, and a login: %+v %v", res, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestLoginQueueTellsPlace: with one worker and more logins than it checks
// at once, each waiting player is told its place (every second near the
// front, every 5 s further back), its place only gets better, and every
// login gets in; past the line's bound, the answer is Busy with a retry
// hint (TestFloodIsToldBusy).
func TestLoginQueueTellsPlace(t *testing.T) {
	n := 24
	if raceDetector {
		n = 8 // argon2id is ~15× slower under the race detector
	}
	f := start(t, func(c *Config) { c.Workers, c.Queue, c.PerAddress, c.Burst, c.PerSecond = 1, n, n, 1000, 1000 })
	var wg sync.WaitGroup
	places := make([][]uint32, n)
	statuses := make([]wire.LoginStatus, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s, err := pquic.Dial(ctx, f.login.Addr(), f.client)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close(0, "")
			s.Send(codec.NewPlayerEncoder().LoginRequest("alice", "correct horse", "dev", 1, nil))
			b, queued, err := recvAnswer(s, time.Now().Add(60*time.Second))
			if err != nil {
				t.Error(err)
				return
			}
			var m wire.ServerMessage
			codec.DecodeServerMessage(b, &m)
			var r wire.LoginResult
			codec.Member(m.Body, &r)
			statuses[i], places[i] = r.Status(), queued
		}()
	}
	wg.Wait()
	told, worst := 0, uint32(0)
	for i := range n {
		if statuses[i] != wire.LoginStatusOk {
			t.Errorf("login %d: %v", i, statuses[i])
		}
		if len(places[i]) > 0 {
			told++
		}
		for k, p := range places[i] {
			worst = max(worst, p)
			if p == 0 || (k > 0 && p > places[i][k-1]) {
				t.Errorf("login %d was told places %v: each ≥ 1 and never worse", i, places[i])
				break
			}
		}
	}
	if told == 0 || worst < 3 {
		t.Fatalf("%d of %d waiting logins were told a place (the worst %d)", told, n, worst)
	}
	t.Logf("%d of %d logins were told their place; the furthest back was %d", told, n, worst)
}
