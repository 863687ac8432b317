package login

import (
	"fmt"
	"math"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/store"
)

func (l *Node) accept() {
	defer l.conns.Done()
	for {
		in, err := l.ln.Accept(l.ctx)
		if err != nil {
			if l.ctx.Err() != nil {
				return
			}
			continue // one client's failure is not the listener's
		}
		l.conns.Add(1)
		go func() {
			defer l.conns.Done()
			s, err := in.Open(l.ctx, l.cfg.Handshake)
			if err != nil {
				return
			}
			l.serve(s)
		}()
	}
}

// serve answers one connection's request: a login, a new account, or the
// realm list.
func (l *Node) serve(s *pquic.Session) {
	deadline := l.clock.Now().Add(l.cfg.Handshake)
	b, err := s.Recv(deadline)
	if err != nil {
		s.Close(wire.DisconnectReasonProtocolError, "no login request")
		return
	}
	var m wire.ClientMessage
	if err := codec.DecodeClientMessage(b, &m); err != nil {
		l.results.WithLabelValues("malformed").Inc()
		s.Close(wire.DisconnectReasonProtocolError, "expected a login request")
		return
	}
	enc := codec.NewPlayerEncoder()
	var answer []byte
	switch m.BodyType() {
	case wire.ClientBodyLoginRequest:
		var req wire.LoginRequest
		codec.Member(m.Body, &req)
		res := l.login(string(req.Account()), string(req.Password()), string(req.Realm()), req.TicketBytes(), s, l.clock.Now().Add(l.cfg.QueueWait))
		l.results.WithLabelValues(res.Status.String()).Inc()
		answer = enc.LoginResult(&res)
	case wire.ClientBodyRegisterRequest:
		var req wire.RegisterRequest
		codec.Member(m.Body, &req)
		res := l.register(string(req.Account()), string(req.Password()), s, l.clock.Now().Add(l.cfg.QueueWait))
		l.registered.WithLabelValues(res.Status.String()).Inc()
		answer = enc.LoginResult(&res)
	case wire.ClientBodyRealmListRequest:
		answer = enc.RealmList(l.listRealms())
	default:
		l.results.WithLabelValues("malformed").Inc()
		s.Close(wire.DisconnectReasonProtocolError, "expected a login request")
		return
	}
	if err := s.Send(answer); err != nil {
		s.Close(wire.DisconnectReasonServerError, "")
		return
	}
	s.Finish(2 * time.Second)
}

// register decides one request for a new account: the name and password
// are checked before anything costly, then the request waits its turn for
// a hashing worker like a login.
func (l *Node) register(account, password string, s *pquic.Session, deadline time.Time) codec.LoginResult {
	addr := s.RemoteAddr()
	host := hostOf(addr)
	if !l.limiter.allow(host, l.clock.Now()) {
		return codec.LoginResult{Status: wire.LoginStatusRateLimited, Message: "too many attempts: wait a moment"}
	}
	if !store.ValidName(account) {
		return codec.LoginResult{Status: wire.LoginStatusInvalid, Message: "an account name is 1..64 bytes without control characters"}
	}
	if len(password) < MinPassword || len(password) > MaxPassword {
		return codec.LoginResult{Status: wire.LoginStatusInvalid, Message: fmt.Sprintf("a password is %d..%d bytes", MinPassword, MaxPassword)}
	}
	return l.enqueue(s, job{account: account, password: password, addr: addr.String(), host: host, register: true, deadline: deadline})
}

func hostOf(addr net.Addr) string {
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host
}

// login decides one attempt; a player that was in the realm's line at a
// login node that stopped answering brings its ticket (ticket.go).
func (l *Node) login(account, password, realmName string, ticket []byte, s *pquic.Session, deadline time.Time) codec.LoginResult {
	addr := s.RemoteAddr()
	host := hostOf(addr)
	if !l.limiter.allow(host, l.clock.Now()) {
		return codec.LoginResult{Status: wire.LoginStatusRateLimited, Message: "too many attempts: wait a moment"}
	}
	realm, ok := l.cfg.Realms[realmName]
	if !ok {
		return codec.LoginResult{Status: wire.LoginStatusUnknownRealm, Message: fmt.Sprintf("no realm %q here", realmName)}
	}
	j := job{account: account, password: password, realm: realmName, addr: addr.String(), host: host, deadline: deadline, s: s}
	if len(ticket) > 0 {
		arrived, outcome := l.ticketer.read(ticket, account, realmName, l.clock.Now(), l.cfg.LineWait)
		l.tickets.WithLabelValues(outcome).Inc()
		j.arrived = arrived
	}
	var res codec.LoginResult
	if waiting, _ := l.lineBusy(realmName); waiting || l.realms.fullNow(realmName, l.clock.Now()) > 0 {
		// The realm said it was full a moment ago, or players wait for a
		// place: the player joins the back of the line, its password
		// checked when its turn nears (or, with no room in the line, is
		// told the realm is full before a check that would be wasted).
		res = l.waitUnchecked(s, j)
	} else {
		res = l.enqueue(s, j)
	}
	if res.Status == wire.LoginStatusOk {
		// The realm's choice first, the others to fall back on.
		for _, g := range realm.Gateways {
			if !slices.Contains(res.Gateways, g) {
				res.Gateways = append(res.Gateways, g)
			}
		}
	}
	return res
}

// A waiting player is told its place at the protocol's cadence: every
// codec.LineNearEvery in the first codec.LineNear places, every
// codec.LineFarEvery further back (each is a packet and its ack: a login
// node telling a line of thousands every second spends its share of the
// machine on it, and its new connections' handshakes wait), well within
// the clients' patience (net/client: 4 s near the front, 15 s further
// back). queuedFirst is how long an attempt waits before it is first told
// (most never are).
const (
	queuedFirst = 250 * time.Millisecond
	queueRetry  = 30 * time.Second // the hint after a wait that ran out
)

// enqueue waits for a worker to check the job, or says why it will not.
// While it waits, its player is told its place in line (LoginQueued); a
// player that left takes its place out of the checks.
func (l *Node) enqueue(s *pquic.Session, j job) codec.LoginResult {
	j.reply = make(chan codec.LoginResult, 1)
	j.gone = new(atomic.Bool)
	j.inLine = new(atomic.Pointer[waiter])
	queuedAt := l.clock.Now()
	refused, seq := l.queue.pushNumbered(j, queuedAt)
	switch refused {
	case refusedAddress:
		return attemptUnderWay
	case refusedAccount:
		return codec.LoginResult{Status: wire.LoginStatusRateLimited, Message: "too many attempts on this account: wait a moment"}
	case refusedFull:
		return l.lineFull()
	}
	return l.await(s, j, seq, queuedAt)
}

// attemptUnderWay is the answer to an address with as many attempts
// waiting as it may have.
var attemptUnderWay = codec.LoginResult{Status: wire.LoginStatusRateLimited, Message: "an attempt from this address is under way: wait for it"}

// waitUnchecked puts a login at the back of its full realm's line before
// its password check, and waits for its answer.
func (l *Node) waitUnchecked(s *pquic.Session, j job) codec.LoginResult {
	j.reply = make(chan codec.LoginResult, 1)
	j.gone = new(atomic.Bool)
	j.inLine = new(atomic.Pointer[waiter])
	switch l.waitInLine(j, false) {
	case refusedFull:
		retry := l.realms.fullNow(j.realm, l.clock.Now())
		if retry == 0 {
			retry = uint32(queueRetry / time.Millisecond)
		}
		return realmFull(retry)
	case refusedAddress:
		return attemptUnderWay
	}
	return l.await(s, j, 0, l.clock.Now())
}

// await waits for a queued login's answer (from a worker, or from its
// realm's line), telling its player its place (codec.LineNearEvery, LineFarEvery).
func (l *Node) await(s *pquic.Session, j job, seq uint64, queuedAt time.Time) codec.LoginResult {
	defer func() {
		if w := j.inLine.Load(); w != nil {
			l.lineWait.Observe(l.clock.Now().Sub(w.since).Seconds())
			return
		}
		l.queueWait.Observe(l.clock.Now().Sub(queuedAt).Seconds())
	}()
	enc := codec.NewPlayerEncoder()
	next := queuedFirst
	for {
		deadline := j.deadline
		if w := j.inLine.Load(); w != nil {
			deadline = w.deadline
		}
		select {
		case res := <-j.reply:
			return res
		case <-s.Done():
			// The player closed its connection: out of the line now, not at
			// its next place (up to LineFarEvery away), so that its password
			// is not checked and no gateway place is held for it. When a full
			// realm's line empties at once, its new heads are checked ahead
			// of their turn as those in front leave.
			j.gone.Store(true)
			return busy
		case <-l.ctx.Done():
			j.gone.Store(true) // in a realm's line: its connection is closed (sendLinesOn)
			return codec.LoginResult{Status: wire.LoginStatusBusy, RetryAfterMs: 3000, Message: "the login node is stopping: try again in a few seconds"}
		case <-l.clock.After(min(next, deadline.Sub(l.clock.Now()))):
		}
		w := j.inLine.Load()
		if !l.clock.Now().Before(deadline) {
			j.gone.Store(true)
			if w != nil {
				return codec.LoginResult{Status: wire.LoginStatusBusy, RetryAfterMs: uint32(queueRetry / time.Millisecond),
					Message: fmt.Sprintf("the realm is full: waited %v in its line; try again in %v", l.cfg.LineWait, queueRetry)}
			}
			return codec.LoginResult{Status: wire.LoginStatusBusy, RetryAfterMs: uint32(queueRetry / time.Millisecond),
				Message: fmt.Sprintf("login is busy: waited %v in line; try again in %v", l.cfg.QueueWait, queueRetry)}
		}
		var told []byte
		var pos int
		if w != nil {
			told, pos = l.inLineAnswer(enc, w)
		} else {
			var wait time.Duration
			pos, wait = l.queue.place(seq, l.cfg.Workers)
			told = enc.LoginQueued(uint32(min(pos, math.MaxUint32)), uint32(min(wait.Milliseconds(), math.MaxUint32)), false, nil)
		}
		if err := s.Send(told); err != nil {
			j.gone.Store(true) // the player left: its check (or its place in the realm's line) would be wasted
			return busy
		}
		next = codec.LineNearEvery
		if pos > codec.LineNear {
			next = codec.LineFarEvery
		}
	}
}

// lineFull is the answer when the line is full: Busy, with the time the
// attempts waiting take as the retry hint.
func (l *Node) lineFull() codec.LoginResult {
	wait := l.queue.drainTime(l.cfg.Workers)
	return codec.LoginResult{Status: wire.LoginStatusBusy, RetryAfterMs: uint32(min(max(wait, time.Second).Milliseconds(), math.MaxUint32)),
		Message: fmt.Sprintf("login is busy: %d players are waiting; try again in %v", l.cfg.Queue, max(wait, time.Second).Round(time.Second))}
}
