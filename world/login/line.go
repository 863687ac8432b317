package login

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// A full realm's line. A player logging in while every gateway of its
// realm is full waits here instead of being sent away to retry: its
// connection stays open, it is told its place (every second near the
// front, every 5 s further back), and it gets in first come, first served
// as the realm takes players again.
// Players retrying every few seconds would each cost the login node a TLS
// handshake per retry, and the first to retry after a place opens is not
// the first who came. A player that logs in while others wait joins the
// line too: nobody passes it.
//
// A player joins the line before its password is checked: a full realm's
// line may hold thousands, and checking each as it arrives (argon2id, ~50
// ms of a core each) would spend the machine on players who cannot get in
// yet, and starve the login node's own connections. The line's players
// are checked from its head, a few ahead of the next to get in, so the
// checks keep the pace at which players get in; a wrong password is told
// Denied when its turn to be checked comes. (A player whose password was
// checked before the realm said it was full joins checked.)
type realmLine struct {
	mu      sync.Mutex
	waiting []*waiter
	hosts   map[string]int // players waiting, by address: at most PerAddress each
	taken   pace           // players leaving the line into the realm
}

// waiter is one player in a realm's line.
type waiter struct {
	j        job
	line     *realmLine
	checked  atomic.Bool  // its password was checked
	since    time.Time    // when it joined the line
	deadline time.Time    // past it, its player is answered Busy
	place    atomic.Int64 // 1 is next, as last counted
}

// Pace of the line: how often the login node offers the realm the
// players at the head of its lines, and at most how many each time. The
// realm learns of a gateway filling from its load reports (every 100 ms):
// offering players one by one, a few at a time, does not overshoot it.
const (
	lineEvery = 200 * time.Millisecond
	lineBurst = 5
	// lineAhead is how far from the head the line's passwords are checked
	// before their turn: a place that opens is not kept waiting for a check.
	lineAhead = 2 * lineBurst
)

// line returns the line of a realm, made on first use.
func (l *Node) line(realm string) *realmLine {
	l.linesMu.Lock()
	defer l.linesMu.Unlock()
	if l.lines == nil {
		l.lines = map[string]*realmLine{}
	}
	q := l.lines[realm]
	if q == nil {
		q = &realmLine{}
		l.lines[realm] = q
	}
	return q
}

// inLines is how many players wait in the realms' lines.
func (l *Node) inLines() int {
	l.linesMu.Lock()
	defer l.linesMu.Unlock()
	n := 0
	for _, q := range l.lines {
		q.mu.Lock()
		n += len(q.waiting)
		q.mu.Unlock()
	}
	return n
}

// waitInLine puts a login at the back of its realm's line, its password
// checked or not (a login with a ticket: behind those who came before it);
// refusedFull when the line is full, refusedAddress when its address's
// share of it is.
func (l *Node) waitInLine(j job, checked bool) refusal {
	q := l.line(j.realm)
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case len(q.waiting) >= l.cfg.RealmLine:
		return refusedFull
	case q.hosts[j.host] >= l.cfg.PerAddress:
		return refusedAddress
	}
	since := l.clock.Now()
	if !j.arrived.IsZero() && j.arrived.Before(since) {
		since = j.arrived
	}
	w := &waiter{j: j, line: q, since: since, deadline: since.Add(l.cfg.LineWait)}
	w.checked.Store(checked)
	// Behind everyone who came before it: the back, but for a ticket.
	at := len(q.waiting)
	for at > 0 && q.waiting[at-1].since.After(since) {
		at--
	}
	w.place.Store(int64(at + 1))
	q.waiting = slices.Insert(q.waiting, at, w)
	if q.hosts == nil {
		q.hosts = map[string]int{}
	}
	q.hosts[j.host]++
	j.inLine.Store(w)
	return queued
}

// sendLinesOn closes the connection of every player in the realms' lines
// of a stopping login node, without an answer: its client moves on to
// another login node at once with its ticket and keeps its place there,
// rather than after 15 s of silence or, told Busy, at the back.
func (l *Node) sendLinesOn() {
	l.linesMu.Lock()
	defer l.linesMu.Unlock()
	for _, q := range l.lines {
		q.mu.Lock()
		for _, w := range q.waiting {
			w.j.s.Close(wire.DisconnectReasonShutdown, "the login node is stopping: your line ticket keeps your place at another")
		}
		q.mu.Unlock()
	}
}

// forgetLocked accounts for a player leaving the line (q.mu held).
func (q *realmLine) forgetLocked(w *waiter) {
	if q.hosts[w.j.host]--; q.hosts[w.j.host] <= 0 {
		delete(q.hosts, w.j.host)
	}
}

// lineBusy reports whether a realm has players waiting in its line (a
// new login joins the line behind them), or its line is full.
func (l *Node) lineBusy(realm string) (waiting, full bool) {
	q := l.line(realm)
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting) > 0, len(q.waiting) >= l.cfg.RealmLine
}

// admitLines offers the realms the players at the head of their lines
// every lineEvery, until the login node stops.
func (l *Node) admitLines() {
	defer l.workers.Done()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-l.clock.After(lineEvery):
		}
		l.linesMu.Lock()
		realms := make([]string, 0, len(l.lines))
		for name := range l.lines {
			realms = append(realms, name)
		}
		l.linesMu.Unlock()
		for _, name := range realms {
			l.admitFrom(name, l.line(name))
		}
	}
}

// admitFrom hands a realm up to lineBurst players from the head of its
// line, until it says it is full, checks the passwords of those next in
// line, and counts everyone's place again.
func (l *Node) admitFrom(realm string, q *realmLine) {
admit:
	for range lineBurst {
		w := q.head()
		if w == nil {
			break
		}
		if !w.checked.Load() {
			switch l.checkInLine(q, w) {
			case passWrong:
				continue // told Denied: the next
			case passUnknown:
				break admit // the accounts cannot be read: the line waits for them
			}
		}
		res, full, err := l.admit(w.j)
		if err != nil {
			break // the realm node is unreachable: the line waits for it
		}
		if full {
			l.realms.markFull(realm, res.RetryAfterMs, l.clock.Now())
			break
		}
		q.took(w, l.clock.Now())
		w.j.reply <- res
	}
	for _, w := range q.unchecked(lineAhead, lineBurst) {
		if l.checkInLine(q, w) == passUnknown {
			break
		}
	}
	q.recount()
}

// What checking the password of a player in line found.
type passCheck int

const (
	passRight   passCheck = iota
	passWrong             // answered Denied, out of the line
	passUnknown           // the accounts cannot be read: it keeps its place, unanswered
)

// checkInLine checks the password of a player in line; a wrong one is
// answered (Denied) and leaves the line.
func (l *Node) checkInLine(q *realmLine, w *waiter) passCheck {
	res, ok := l.password(w.j)
	l.queue.checked(l.clock.Now())
	if judged, good := verdict(w.j, res); judged {
		l.queue.done(w.j.host, good, l.clock.Now())
	}
	switch {
	case ok:
		w.checked.Store(true)
		return passRight
	case res.Status == wire.LoginStatusBusy:
		return passUnknown
	}
	q.remove(w)
	w.j.reply <- res
	return passWrong
}

// unchecked returns up to most players among the first within of the line
// whose passwords were not checked.
func (q *realmLine) unchecked(within, most int) []*waiter {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*waiter
	for _, w := range q.waiting[:min(within, len(q.waiting))] {
		if len(out) == most {
			break
		}
		if !w.checked.Load() && !w.j.gone.Load() {
			out = append(out, w)
		}
	}
	return out
}

// remove takes a player out of the line, wherever it stands.
func (q *realmLine) remove(w *waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.removeLocked(w)
}

// took takes the player into the realm: out of the line, and counted in
// the line's pace.
func (q *realmLine) took(w *waiter, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.removeLocked(w)
	q.taken.mark(now)
}

func (q *realmLine) removeLocked(w *waiter) {
	if i := slices.Index(q.waiting, w); i >= 0 {
		q.forgetLocked(w)
		q.waiting = slices.Delete(q.waiting, i, i+1)
	}
}

// head returns the first player in line still waiting (those who left
// are dropped by recount).
func (q *realmLine) head() *waiter {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, w := range q.waiting {
		if !w.j.gone.Load() {
			return w
		}
	}
	return nil
}

// recount drops the players who left and tells each of the others its
// place: one pass for the whole line, not one per player.
func (q *realmLine) recount() {
	q.mu.Lock()
	defer q.mu.Unlock()
	kept := q.waiting[:0]
	for _, w := range q.waiting {
		if w.j.gone.Load() {
			q.forgetLocked(w)
			continue
		}
		kept = append(kept, w)
		w.place.Store(int64(len(kept)))
	}
	clear(q.waiting[len(kept):])
	q.waiting = kept
}

// inLineAnswer is what a player waiting in a realm's line is told: its
// place, and the wait expected at the pace the line moved lately (0, for
// "cannot tell", before two players left it, or when the last left more
// than 5 minutes ago).
func (l *Node) inLineAnswer(enc *codec.PlayerEncoder, w *waiter) (told []byte, place int) {
	place = int(max(w.place.Load(), 1))
	q := w.line
	q.mu.Lock()
	per, newest, ok := q.taken.every(2)
	q.mu.Unlock()
	var wait time.Duration
	if ok && l.clock.Now().Sub(newest) <= 5*time.Minute {
		wait = time.Duration(place) * per
	}
	ticket := l.ticketer.make(w.j.account, w.j.realm, w.since, l.clock.Now())
	return enc.LoginQueued(uint32(place), uint32(min(wait.Milliseconds(), 1<<31)), true, ticket), place
}
