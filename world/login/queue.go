package login

import (
	"sync"
	"time"
)

// queue orders the password checks waiting for a worker so that a flood
// of wrong passwords from some addresses cannot starve the players who log
// in from others.
//
//   - An address that failed a check in the last SuspectFor is suspect.
//     Workers serve clean addresses first; a suspect one gets what is left.
//   - Within a class, addresses take turns (round robin): an address with
//     many attempts waiting gets no more checks than one with a single one.
//   - An address may have perAddr checks waiting; suspect addresses
//     together may have one waiting per account (a flood aimed at one
//     account takes one place).
//   - When the queue is full, a clean address's attempt takes the place of
//     the newest attempt of the suspect address with the most waiting; that
//     attempt is answered Busy. Otherwise the new attempt is.
//
// Argon2 costs ~50 ms of a core on purpose: the queue decides who gets the
// cores, the cost stays the same for everyone.
type queue struct {
	mu   sync.Mutex
	cond *sync.Cond

	limit, perAddr int
	suspectFor     time.Duration

	waiting   int
	addrs     map[string]*addrQueue
	rings     [2][]*addrQueue // [clean, suspect]: addresses with attempts waiting, in turn order
	accounts  map[string]int  // waiting attempts from suspect addresses, per account
	failed    map[string]time.Time
	lastSweep time.Time
	closed    bool

	// Places in line: each attempt queued takes the next number; an
	// attempt's place is its number less those that left before it
	// (approximate: addresses take turns, so one may pass another).
	pushed, left uint64
	checks       pace // when the last checks ended
}

// pace keeps when the last few events of a kind happened (a ring), to tell
// the time between them: checks ending, players leaving a realm's line.
type pace struct {
	at [64]time.Time
	n  int
}

// mark records an event at now.
func (p *pace) mark(now time.Time) {
	p.at[p.n%len(p.at)] = now
	p.n++
}

// every returns the mean time between the last events, and the newest;
// ok is false when fewer than least were seen or they all came at once.
func (p *pace) every(least int) (per time.Duration, newest time.Time, ok bool) {
	n := min(p.n, len(p.at))
	if n < max(least, 2) {
		return 0, time.Time{}, false
	}
	newest = p.at[(p.n-1)%len(p.at)]
	span := newest.Sub(p.at[(p.n-n)%len(p.at)])
	return span / time.Duration(n-1), newest, span > 0
}

type addrQueue struct {
	addr    string
	jobs    []job
	suspect bool // its class when it entered its ring
}

const (
	classClean = iota
	classSuspect
)

// Why an attempt was not queued.
type refusal int

const (
	queued refusal = iota
	refusedFull
	refusedAddress
	refusedAccount
)

func newQueue(limit, perAddr int, suspectFor time.Duration) *queue {
	q := &queue{limit: limit, perAddr: perAddr, suspectFor: suspectFor,
		addrs: map[string]*addrQueue{}, accounts: map[string]int{}, failed: map[string]time.Time{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// push queues an attempt, or says why not. An attempt pushed out of the
// queue to make room is answered Busy here.
func (q *queue) push(j job, now time.Time) refusal {
	r, _ := q.pushNumbered(j, now)
	return r
}

// pushNumbered is push that also returns the attempt's number in line
// (for place).
func (q *queue) pushNumbered(j job, now time.Time) (refusal, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return refusedFull, 0
	}
	suspect := q.suspectLocked(j.host, now)
	a := q.addrs[j.host]
	switch {
	case a != nil && len(a.jobs) >= q.perAddr:
		return refusedAddress, 0
	case suspect && q.accounts[j.account] > 0:
		return refusedAccount, 0
	}
	if q.waiting >= q.limit && (suspect || !q.pushOutLocked()) {
		return refusedFull, 0
	}
	if a == nil {
		a = &addrQueue{addr: j.host, suspect: suspect}
		q.addrs[j.host] = a
		class := classClean
		if suspect {
			class = classSuspect
		}
		q.rings[class] = append(q.rings[class], a)
	}
	j.seq = q.pushed
	q.pushed++
	a.jobs = append(a.jobs, j)
	if a.suspect {
		q.accounts[j.account]++
	}
	q.waiting++
	q.cond.Signal()
	return queued, j.seq
}

// pushOutLocked answers Busy to the newest attempt of the suspect address
// with the most waiting, if any, and reports whether it made room.
func (q *queue) pushOutLocked() bool {
	var victim *addrQueue
	for _, a := range q.rings[classSuspect] {
		if victim == nil || len(a.jobs) > len(victim.jobs) {
			victim = a
		}
	}
	if victim == nil {
		return false
	}
	j := victim.jobs[len(victim.jobs)-1]
	victim.jobs = victim.jobs[:len(victim.jobs)-1]
	q.forgetLocked(victim, j)
	j.reply <- busy
	return true
}

// pop blocks until an attempt is due and returns it; false once the queue
// is closed and empty.
func (q *queue) pop() (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for class := range q.rings {
			if len(q.rings[class]) == 0 {
				continue
			}
			a := q.rings[class][0]
			j := a.jobs[0]
			a.jobs = a.jobs[1:]
			q.forgetLocked(a, j)
			if len(a.jobs) > 0 { // its next attempt waits for its next turn
				q.rings[class] = append(q.rings[class][1:], a)
			}
			return j, true
		}
		if q.closed {
			return job{}, false
		}
		q.cond.Wait()
	}
}

// forgetLocked accounts for an attempt that left the queue, and drops its
// address from its ring once it has nothing waiting.
func (q *queue) forgetLocked(a *addrQueue, j job) {
	q.waiting--
	q.left++
	if a.suspect {
		if q.accounts[j.account]--; q.accounts[j.account] <= 0 {
			delete(q.accounts, j.account)
		}
	}
	if len(a.jobs) > 0 {
		return
	}
	delete(q.addrs, a.addr)
	class := classClean
	if a.suspect {
		class = classSuspect
	}
	ring := q.rings[class]
	for i, b := range ring {
		if b == a {
			q.rings[class] = append(ring[:i], ring[i+1:]...)
			break
		}
	}
}

// place returns the place in line of the attempt numbered seq (1 is
// next) and the wait expected at the pace of the last checks.
func (q *queue) place(seq uint64, workers int) (int, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	pos := 1
	if seq >= q.left {
		pos = int(seq-q.left) + 1
	}
	// Without a measured pace: 50 ms of a worker a check (argon2id's cost).
	per := 50 * time.Millisecond / time.Duration(max(workers, 1))
	if measured, _, ok := q.checks.every(8); ok {
		per = measured
	}
	return pos, time.Duration(pos) * per
}

// checked records that a worker finished a check at now (its pace).
func (q *queue) checked(now time.Time) {
	q.mu.Lock()
	q.checks.mark(now)
	q.mu.Unlock()
}

// drainTime is how long the attempts waiting now take at the present pace:
// the retry hint of a Busy answered because the line is full.
func (q *queue) drainTime(workers int) time.Duration {
	q.mu.Lock()
	last := q.pushed
	q.mu.Unlock()
	_, wait := q.place(last, workers)
	return wait
}

// done records the outcome of a check: a wrong password makes its address
// suspect for suspectFor; a right one clears it.
func (q *queue) done(host string, ok bool, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ok {
		delete(q.failed, host)
	} else {
		q.failed[host] = now
	}
}

func (q *queue) suspectLocked(host string, now time.Time) bool {
	if now.Sub(q.lastSweep) > time.Minute { // bound the memory a scan of many addresses takes
		for h, at := range q.failed {
			if now.Sub(at) > q.suspectFor {
				delete(q.failed, h)
			}
		}
		q.lastSweep = now
	}
	at, ok := q.failed[host]
	return ok && now.Sub(at) <= q.suspectFor
}

// close wakes the workers; they drain what is waiting and stop.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
