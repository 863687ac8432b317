package login

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// inLine is a player's login waiting for its answer.
type inLine struct {
	t *testing.T
	s *pquic.Session
}

// queue sends a login with the right password and returns its
// connection.
func (f *fixture) queue(t *testing.T, account string) *inLine {
	t.Helper()
	return f.queueWith(t, account, "correct horse")
}

// queueWith sends a login and returns its connection.
func (f *fixture) queueWith(t *testing.T, account, password string) *inLine {
	t.Helper()
	return f.queueTicket(t, account, password, nil)
}

// queueTicket sends a login with a line ticket and returns its connection.
func (f *fixture) queueTicket(t *testing.T, account, password string, ticket []byte) *inLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := pquic.Dial(ctx, f.login.Addr(), f.client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(0, "") })
	if err := s.Send(codec.NewPlayerEncoder().LoginRequest(account, password, "dev", 1, ticket)); err != nil {
		t.Fatal(err)
	}
	return &inLine{t, s}
}

// next reads the login node's next message: a place in a line, or the
// result (done).
func (p *inLine) next() (q wire.LoginQueued, res wire.LoginResult, done bool) {
	p.t.Helper()
	b, err := p.s.Recv(time.Now().Add(10 * time.Second))
	if err != nil {
		p.t.Fatal(err)
	}
	var m wire.ServerMessage
	if err := codec.DecodeServerMessage(b, &m); err != nil {
		p.t.Fatal(err)
	}
	if m.BodyType() == wire.ServerBodyLoginQueued {
		codec.Member(m.Body, &q)
		return q, res, false
	}
	codec.Member(m.Body, &res)
	return q, res, true
}

// untilPlace reads until the player is told it waits in the realm's line
// at place want, and returns the ticket it was given with it.
func (p *inLine) untilPlace(want uint32) []byte {
	p.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		q, res, done := p.next()
		if done {
			p.t.Fatalf("answered %v %q while waiting for place %d", res.Status(), res.Message(), want)
		}
		if q.RealmFull() && q.Position() == want {
			return q.TicketBytes()
		}
	}
	p.t.Fatalf("never told place %d in the realm's line", want)
	return nil
}

// setFull says whether every gateway of the fake realm is full.
func (r *realmNode) setFull(full bool) {
	r.mu.Lock()
	r.full = full
	r.mu.Unlock()
}

// took returns the accounts of the sessions the realm took, in order.
func (r *realmNode) took() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var order []string
	for _, sc := range r.sessions {
		order = append(order, sc.Account)
	}
	return fmt.Sprint(order)
}

// result reads until the login's answer.
func (p *inLine) result() wire.LoginResult {
	p.t.Helper()
	for {
		if _, res, done := p.next(); done {
			return res
		}
	}
}

// TestAFullRealmsLineLetsPlayersInInTurn: while every gateway is full,
// players whose password is right wait in the realm's line, told their
// place; one who leaves is dropped and those behind
// move up; past the line's bound the answer is Busy with the realm's
// hint, before any password check; when the realm takes players again,
// they get in in the order they came.
func TestAFullRealmsLineLetsPlayersInInTurn(t *testing.T) {
	f := start(t, func(c *Config) { c.Workers, c.PerAddress, c.Burst, c.PerSecond, c.RealmLine = 1, 10, 100, 100, 3 })
	for i := range 4 {
		if err := f.login.CreateAccount(fmt.Sprintf("p%d", i), "correct horse"); err != nil {
			t.Fatal(err)
		}
	}
	f.realm.setFull(true)
	var line []*inLine
	for i := range 3 {
		p := f.queue(t, fmt.Sprintf("p%d", i))
		p.untilPlace(uint32(i + 1))
		line = append(line, p)
	}
	extra := f.queue(t, "p3").result()
	if extra.Status() != wire.LoginStatusBusy || extra.RetryAfterMs() != 15000 || !strings.Contains(string(extra.Message()), "the realm is full") {
		t.Fatalf("past the line's bound: %v %d %q", extra.Status(), extra.RetryAfterMs(), extra.Message())
	}
	line[1].s.Close(0, "") // p1 gives up
	line[2].untilPlace(2)
	f.realm.setFull(false)
	for _, p := range []*inLine{line[0], line[2]} {
		if res := p.result(); res.Status() != wire.LoginStatusOk || len(res.SessionHandleBytes()) != codec.SessionHandleSize {
			t.Fatalf("a player in line once the realm has room: %v %q", res.Status(), res.Message())
		}
	}
	if order := f.realm.took(); order != "[p0 p2]" {
		t.Fatalf("the realm took sessions %v, want [p0 p2] (in turn; p1 left)", order)
	}
}

// TestALongWaitInARealmsLineEnds: past LineWait in a full realm's line, a
// player is answered Busy with a retry hint, and its place is given up.
func TestALongWaitInARealmsLineEnds(t *testing.T) {
	f := start(t, func(c *Config) { c.Workers, c.LineWait = 1, 1500*time.Millisecond })
	f.realm.setFull(true)
	p := f.queue(t, "alice")
	p.untilPlace(1)
	res := p.result()
	if res.Status() != wire.LoginStatusBusy || res.RetryAfterMs() == 0 || !strings.Contains(string(res.Message()), "waited 1.5s in its line") {
		t.Fatalf("after the line's wait: %v %d %q", res.Status(), res.RetryAfterMs(), res.Message())
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.login.inLines() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d still in line", f.login.inLines())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAWrongPasswordInLineIsDenied: while the realm is full, a login joins
// its line before its password check (a check per arrival would spend the
// machine on players who cannot get in yet); the players near the head
// are checked ahead of their turn, and a wrong password is told Denied and
// leaves the line.
func TestAWrongPasswordInLineIsDenied(t *testing.T) {
	f := start(t, func(c *Config) { c.Workers, c.PerAddress, c.Burst, c.PerSecond = 1, 10, 100, 100 })
	f.realm.setFull(true)
	first := f.queue(t, "alice")
	first.untilPlace(1) // checked, then told the realm is full
	wrong := f.queueWith(t, "alice", "not her password")
	if res := wrong.result(); res.Status() != wire.LoginStatusDenied {
		t.Fatalf("a wrong password in the line: %v %q", res.Status(), res.Message())
	}
	second := f.queue(t, "alice")
	second.untilPlace(2)
	f.realm.setFull(false)
	for _, p := range []*inLine{first, second} {
		if res := p.result(); res.Status() != wire.LoginStatusOk {
			t.Fatalf("in line once the realm has room: %v %q", res.Status(), res.Message())
		}
	}
}

// TestALoginWaitingForItsCheckGoesToTheLine: a login still waiting for
// its password check when its realm fills goes to the realm's line
// unchecked: no hash for a player who cannot get in yet.
func TestALoginWaitingForItsCheckGoesToTheLine(t *testing.T) {
	f := start(t, nil)
	j := job{account: "alice", password: "correct horse", realm: "dev", host: "192.0.2.1",
		reply: make(chan codec.LoginResult, 1), gone: new(atomic.Bool), inLine: new(atomic.Pointer[waiter])}
	if f.login.toLine(j) {
		t.Fatal("a login went to the line of a realm that is not full")
	}
	f.login.realms.markFull("dev", 15000, time.Now())
	if !f.login.toLine(j) {
		t.Fatal("a login waiting for its check stayed for it after the realm filled")
	}
	if w := j.inLine.Load(); w == nil || w.checked.Load() || w.place.Load() != 1 {
		t.Fatalf("in line: %+v", w)
	}
	f.login.line("dev").remove(j.inLine.Load()) // no player's connection behind it to close on Stop
}

// TestALineTicketKeepsItsPlace: a player whose login node stopped
// answering logs in again with the ticket it was last given and takes its
// place in the line back, ahead of those who came after it (a login node
// reads another's tickets: they are made with the cluster secret). A
// ticket of another account, or one past its minute, joins the back.
func TestALineTicketKeepsItsPlace(t *testing.T) {
	f := start(t, func(c *Config) { c.Workers, c.PerAddress, c.Burst, c.PerSecond = 1, 10, 100, 100 })
	for _, a := range []string{"early", "p0", "p1", "late"} {
		if err := f.login.CreateAccount(a, "correct horse"); err != nil {
			t.Fatal(err)
		}
	}
	f.realm.setFull(true)
	early := f.queue(t, "early")
	ticket := early.untilPlace(1)
	if len(ticket) != ticketSize {
		t.Fatalf("a player in the realm's line was given a ticket of %d bytes", len(ticket))
	}
	early.s.Close(0, "") // its login node died, as far as it can tell
	p0 := f.queue(t, "p0")
	p0.untilPlace(1)
	p1 := f.queue(t, "p1")
	p1.untilPlace(2)
	back := f.queueTicket(t, "early", "correct horse", ticket)
	back.untilPlace(1)
	p1.untilPlace(3)
	// Another account's ticket, a stale one: the back of the line.
	f.queueTicket(t, "late", "correct horse", ticket).untilPlace(4)
	stale := f.login.ticketer.make("late", "dev", time.Now().Add(-2*time.Minute), time.Now().Add(-ticketFresh-time.Second))
	f.queueTicket(t, "late", "correct horse", stale).untilPlace(5)
	f.realm.setFull(false)
	for _, p := range []*inLine{back, p0, p1} {
		if res := p.result(); res.Status() != wire.LoginStatusOk {
			t.Fatalf("in line once the realm has room: %v %q", res.Status(), res.Message())
		}
	}
	if order := f.realm.took(); !strings.HasPrefix(order, "[early p0 p1") {
		t.Fatalf("the realm took sessions %v, want early, p0, p1 first", order)
	}
	for outcome, want := range map[string]float64{ticketKept: 1, ticketBad: 1, ticketStale: 1} {
		var m dto.Metric
		f.login.tickets.WithLabelValues(outcome).Write(&m)
		if got := m.GetCounter().GetValue(); got != want {
			t.Errorf("tickets %s: %v, want %v", outcome, got, want)
		}
	}
}

// TestAStoppingLoginNodeSendsItsLineOn: a login node that stops (a rolling
// restart) closes the connections of the players in its realm's line
// instead of answering them Busy: each client moves on to the next login
// node at once, its ticket in its login, and keeps its place there ahead
// of those who came after it.
func TestAStoppingLoginNodeSendsItsLineOn(t *testing.T) {
	shared := sharedDB(t)
	a := start(t, shared("LOGIN-1"))
	b := start(t, func(c *Config) {
		shared("LOGIN-2")(c)
		c.TLS = a.login.cfg.TLS // one certificate, as a realm's login nodes have
	})
	b.client = a.client
	for _, name := range []string{"early", "late"} {
		if err := a.login.CreateAccount(name, "correct horse"); err != nil {
			t.Fatal(err)
		}
	}
	a.realm.setFull(true)
	b.realm.setFull(true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	told := make(chan client.InLine, 64)
	done := make(chan error, 1)
	go func() {
		nodes := &client.LoginNodes{Addrs: []string{a.login.Addr(), b.login.Addr()}, TLS: a.client}
		_, err := nodes.LoginInLine(ctx, "early", "correct horse", "dev", func(q client.InLine) { told <- q })
		done <- err
	}()
	for q := range told {
		if q.RealmFull && q.Position == 1 {
			break
		}
	}
	late := b.queue(t, "late")
	late.untilPlace(1)
	stopped := time.Now()
	a.login.Stop()
	late.untilPlace(2)
	if took := time.Since(stopped); took > 5*time.Second {
		t.Fatalf("the stopped login node's player was back in line after %v", took)
	}
	b.realm.setFull(false)
	if err := <-done; err != nil {
		t.Fatalf("the player moved on from the stopped login node: %v", err)
	}
	if res := late.result(); res.Status() != wire.LoginStatusOk {
		t.Fatalf("behind it: %v %q", res.Status(), res.Message())
	}
	if order := b.realm.took(); order != "[early late]" {
		t.Fatalf("the realm took %v, want [early late]", order)
	}
}

// TestAPlayerWhoLeavesTheLineIsOutAtOnce: a player who closes its
// connection while it waits in a full realm's line is out of the line when
// it leaves, not at its next place update (a second away near the head):
// when a line empties at once, the players who left are not checked ahead
// of their turn (argon2id for a player who is gone), nor held a place.
func TestAPlayerWhoLeavesTheLineIsOutAtOnce(t *testing.T) {
	f := start(t, func(c *Config) { c.Workers = 1 })
	if err := f.login.CreateAccount("bob", "correct horse"); err != nil {
		t.Fatal(err)
	}
	f.realm.setFull(true)
	first := f.queue(t, "alice")
	first.untilPlace(1)
	second := f.queue(t, "bob")
	second.untilPlace(2)
	first.untilPlace(1) // just told: its next place update is a second away
	left := time.Now()
	first.s.Close(0, "")
	for f.login.inLines() != 1 {
		if waited := time.Since(left); waited > codec.LineNearEvery/2 {
			t.Fatalf("%d still in line %v after one left (its next place update would have found it gone)", f.login.inLines(), waited)
		}
		time.Sleep(10 * time.Millisecond)
	}
	second.untilPlace(1)
}
