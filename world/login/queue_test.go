package login

import (
	"slices"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

func attempt(host, account string) job {
	return job{host: host, account: account, reply: make(chan codec.LoginResult, 1)}
}

// popHosts pops n attempts and returns their addresses in order.
func popHosts(t *testing.T, q *queue, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		j, ok := q.pop()
		if !ok {
			t.Fatalf("pop %d: queue closed", i)
		}
		out = append(out, j.host)
	}
	return out
}

func TestQueueTakesTurnsAndServesCleanAddressesFirst(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name   string
		failed []string // suspect addresses
		push   []job
		want   []string
	}{
		{"addresses take turns", nil,
			[]job{attempt("a", "x"), attempt("a", "y"), attempt("b", "z"), attempt("c", "w")},
			[]string{"a", "b", "c", "a"}},
		{"clean before suspect", []string{"s"},
			[]job{attempt("s", "x"), attempt("c", "y"), attempt("d", "z")},
			[]string{"c", "d", "s"}},
		{"suspects take turns too", []string{"s", "t"},
			[]job{attempt("s", "x"), attempt("s", "y"), attempt("t", "z")},
			[]string{"s", "t", "s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := newQueue(16, 2, time.Minute)
			for _, h := range tc.failed {
				q.done(h, false, now)
			}
			for _, j := range tc.push {
				if r := q.push(j, now); r != queued {
					t.Fatalf("push %s: refused %d", j.host, r)
				}
			}
			if got := popHosts(t, q, len(tc.want)); !slices.Equal(got, tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
		})
	}
}

func TestQueueRefuses(t *testing.T) {
	now := time.Unix(1000, 0)
	q := newQueue(4, 2, time.Minute)
	q.done("s", false, now)
	q.done("t", false, now)
	mustPush := func(j job) {
		t.Helper()
		if r := q.push(j, now); r != queued {
			t.Fatalf("push %s/%s refused: %d", j.host, j.account, r)
		}
	}
	mustPush(attempt("a", "alice"))
	mustPush(attempt("a", "alice"))
	if r := q.push(attempt("a", "alice"), now); r != refusedAddress {
		t.Fatalf("third attempt of one address: %d, want refusedAddress", r)
	}
	mustPush(attempt("s", "bob"))
	if r := q.push(attempt("t", "bob"), now); r != refusedAccount {
		t.Fatalf("second suspect attempt on one account: %d, want refusedAccount", r)
	}
	victim := attempt("s", "carol")
	mustPush(victim) // the queue is full now
	if r := q.push(attempt("t", "dave"), now); r != refusedFull {
		t.Fatalf("suspect attempt on a full queue: %d, want refusedFull", r)
	}
	mustPush(attempt("c", "erin")) // pushes the newest of s out
	select {
	case res := <-victim.reply:
		if res.Status != wire.LoginStatusBusy {
			t.Fatalf("pushed-out attempt answered %v, want Busy", res.Status)
		}
	default:
		t.Fatal("the pushed-out attempt got no answer")
	}
	if got := popHosts(t, q, 4); !slices.Equal(got, []string{"a", "c", "a", "s"}) {
		t.Fatalf("order %v", got)
	}
	if len(q.accounts) != 0 || len(q.addrs) != 0 || q.waiting != 0 {
		t.Fatalf("queue keeps state after draining: accounts %v addrs %d waiting %d", q.accounts, len(q.addrs), q.waiting)
	}
}

func TestQueueSuspicionEndsAndSuccessClearsIt(t *testing.T) {
	now := time.Unix(1000, 0)
	q := newQueue(8, 2, time.Minute)
	q.done("s", false, now)
	q.done("r", false, now)
	q.done("r", true, now)
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.suspectLocked("s", now.Add(59*time.Second)) {
		t.Fatal("an address that failed 59 s ago is not suspect")
	}
	if q.suspectLocked("s", now.Add(61*time.Second)) {
		t.Fatal("an address that failed 61 s ago is still suspect")
	}
	if q.suspectLocked("r", now) {
		t.Fatal("an address that logged in after failing is still suspect")
	}
	q.suspectLocked("x", now.Add(2*time.Minute)) // sweeps
	if len(q.failed) != 0 {
		t.Fatalf("sweep kept %d expired addresses", len(q.failed))
	}
}

func TestQueueCloseDrainsThenStops(t *testing.T) {
	q := newQueue(8, 2, time.Minute)
	q.push(attempt("a", "x"), time.Unix(0, 0))
	q.close()
	if _, ok := q.pop(); !ok {
		t.Fatal("a waiting attempt was dropped at close")
	}
	if _, ok := q.pop(); ok {
		t.Fatal("pop after drain returned an attempt")
	}
	if r := q.push(attempt("b", "y"), time.Unix(0, 0)); r != refusedFull {
		t.Fatalf("push after close: %d", r)
	}
}

// TestOnlyPasswordsJudgeAnAddress: a flood cannot clear its addresses by
// registering accounts between guesses, nor by being told Busy.
func TestOnlyPasswordsJudgeAnAddress(t *testing.T) {
	for _, tc := range []struct {
		register   bool
		status     wire.LoginStatus
		judged, ok bool
	}{
		{false, wire.LoginStatusOk, true, true},
		{false, wire.LoginStatusDenied, true, false},
		{false, wire.LoginStatusBusy, false, false},
		{true, wire.LoginStatusOk, false, false},
		{true, wire.LoginStatusExists, false, false},
	} {
		judged, ok := verdict(job{register: tc.register}, codec.LoginResult{Status: tc.status})
		if judged != tc.judged || ok != tc.ok {
			t.Errorf("register %v, %v: judged %v ok %v, want %v %v", tc.register, tc.status, judged, ok, tc.judged, tc.ok)
		}
	}
}

// A pace is the mean time between its last events, once it has seen
// enough of them, and is unknown while they all came at once.
func TestPaceIsTheMeanTimeBetweenEvents(t *testing.T) {
	var p pace
	t0 := time.Unix(1000, 0)
	if _, _, ok := p.every(2); ok {
		t.Fatal("a pace with no events")
	}
	p.mark(t0)
	p.mark(t0)
	if _, _, ok := p.every(2); ok {
		t.Fatal("a pace from two events at once")
	}
	for i := range 100 { // past the ring: only the last 64 count
		p.mark(t0.Add(time.Duration(i) * 3 * time.Second))
	}
	per, newest, ok := p.every(8)
	if !ok || per != 3*time.Second || !newest.Equal(t0.Add(297*time.Second)) {
		t.Fatalf("every: %v %v %v", per, newest, ok)
	}
	if _, _, ok := (&pace{n: 5}).every(8); ok {
		t.Fatal("a pace from fewer events than asked for")
	}
}
