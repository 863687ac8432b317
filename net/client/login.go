package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// ErrDenied: the login node refused the account or password, or asked to
// wait (the result's status says which).
var ErrDenied = errors.New("login refused")

// ErrNoLoginNode: no login node could be reached.
var ErrNoLoginNode = errors.New("no login node answered")

// Login logs in to one login node and returns its answer: with status Ok,
// a session handle and the gateways to connect to.
func Login(ctx context.Context, addr string, tlsConf *tls.Config, account, password, realm string) (codec.LoginResult, error) {
	l := LoginNodes{Addrs: []string{addr}, TLS: tlsConf}
	return l.Login(ctx, account, password, realm)
}

// LoginNodes are a cluster's login nodes: every one of them can log any
// player in, so a client that cannot reach one tries the next. Calls start
// at the next node each time, spreading players over them. Safe for
// concurrent use.
type LoginNodes struct {
	// Addrs are the login nodes' player addresses (host:port).
	Addrs []string
	// TLS is the client TLS config (pquic.ClientTLS).
	TLS *tls.Config
	// Transport, when set, carries the requests over a shared socket.
	Transport *pquic.Transport
	// TryFor bounds the attempt at one node before the next is tried
	// (default 3 s; a dead node's address never answers).
	TryFor time.Duration

	next atomic.Uint32
}

// Login logs in and returns the login node's answer: with status Ok, a
// session handle and the gateways to connect to, best first. A refusal
// (wrong password, busy, rate limited) wraps ErrDenied and is final for
// this call; only an unreachable node moves on to the next.
func (l *LoginNodes) Login(ctx context.Context, account, password, realm string) (codec.LoginResult, error) {
	return l.result(ctx, loginRequest(account, password, realm), nil)
}

// loginRequest encodes a login, with the ticket of its place in a full
// realm's line once it has one.
func loginRequest(account, password, realm string) func(ticket []byte) []byte {
	return func(ticket []byte) []byte {
		return codec.NewPlayerEncoder().LoginRequest(account, password, realm, 1, ticket)
	}
}

// once is a request that carries no ticket.
func once(req []byte) func([]byte) []byte { return func([]byte) []byte { return req } }

// InLine is a login's place in the login node's line, as it was last told:
// Position 1 is next.
type InLine struct {
	Position uint32
	Wait     time.Duration // the wait the login node expects; 0 when it cannot tell
	// RealmFull: the player waits in the line of a realm whose every
	// gateway is full (else it waits for a password check).
	RealmFull bool
}

// LoginInLine is Login that calls queued each time the login node tells
// the player its place in line (every second near the front, every 5 s
// further back, while the login waits for a password check or for a place
// in a full realm; a login served at once is never told). It waits as long
// as ctx allows: a login node that says nothing for 15 s (4 s to a player
// it told a place in the first 20) is given up on.
func (l *LoginNodes) LoginInLine(ctx context.Context, account, password, realm string, queued func(InLine)) (codec.LoginResult, error) {
	return l.result(ctx, loginRequest(account, password, realm), queued)
}

// Register creates an account. A taken name answers LoginStatusExists, a
// bad one LoginStatusInvalid, both wrapping ErrDenied.
func (l *LoginNodes) Register(ctx context.Context, account, password string) (codec.LoginResult, error) {
	return l.result(ctx, once(codec.NewPlayerEncoder().RegisterRequest(account, password, 1)), nil)
}

// result sends a request answered by a LoginResult; a status other than Ok
// is an error wrapping ErrDenied.
func (l *LoginNodes) result(ctx context.Context, req func(ticket []byte) []byte, queued func(InLine)) (codec.LoginResult, error) {
	var r codec.LoginResult
	err := l.ask(ctx, req, queued, func(m *wire.ServerMessage) error {
		var err error
		r, err = readLoginResult(m)
		return err
	})
	if err == nil && r.Status != wire.LoginStatusOk {
		err = fmt.Errorf("%w: %s: %s", ErrDenied, r.Status, r.Message)
	}
	return r, err
}

// Realms lists the realms to choose from, with their population.
func (l *LoginNodes) Realms(ctx context.Context) ([]codec.RealmInfo, error) {
	var out []codec.RealmInfo
	err := l.ask(ctx, once(codec.NewPlayerEncoder().RealmListRequest()), nil, func(m *wire.ServerMessage) error {
		if m.BodyType() != wire.ServerBodyRealmList {
			return fmt.Errorf("realm list: unexpected answer %s", m.BodyType())
		}
		var w wire.RealmList
		codec.Member(m.Body, &w)
		out = codec.ReadRealmList(&w)
		return nil
	})
	return out, err
}

// ask sends one request to the login nodes in turn until one answers. A
// player who was in a full realm's line when its login node stopped
// answering goes on trying them, its line ticket in the request, for as
// long as the ticket keeps its place.
func (l *LoginNodes) ask(ctx context.Context, req func(ticket []byte) []byte, queued func(InLine), read func(*wire.ServerMessage) error) error {
	if len(l.Addrs) == 0 {
		return fmt.Errorf("%w: no login address given", ErrNoLoginNode)
	}
	first := int(l.next.Add(1) - 1)
	var errs []error
	var t lineTicket
	for i := 0; ; i++ {
		if i >= len(l.Addrs) && i%len(l.Addrs) == 0 {
			// Each node was tried: again only with a place to keep, after a
			// pause (a dead node's reviver restarts it within seconds).
			if !t.fresh() || pause(ctx, lineRetryPause) != nil {
				break
			}
		}
		addr := l.Addrs[(first+i)%len(l.Addrs)]
		m, err := l.askOne(ctx, addr, req(t.b), queued, &t)
		if err == nil {
			return read(m)
		}
		errs = append(errs[max(0, len(errs)+1-len(l.Addrs)):], fmt.Errorf("%s: %w", addr, err))
		if Expired(ctx) != nil {
			break
		}
	}
	return fmt.Errorf("%w: %w", ErrNoLoginNode, errors.Join(errs...))
}

// lineTicket is the last ticket a login node gave the player with its
// place in a full realm's line, and when.
type lineTicket struct {
	b  []byte
	at time.Time
}

// The login nodes take a ticket for a minute after they made it: a client
// uses it for a little less. Between rounds of every login node it pauses.
const (
	lineTicketKeep = 50 * time.Second
	lineRetryPause = 500 * time.Millisecond
)

func (t *lineTicket) fresh() bool { return t.b != nil && time.Since(t.at) < lineTicketKeep }

func pause(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Expired returns ctx's error, or context.DeadlineExceeded once its
// deadline has passed though its timer has not fired yet: a read whose
// deadline is the context's can fail a moment before ctx.Err() says so,
// and a caller that then checks ctx.Err() takes its own deadline for the
// other side's silence.
func Expired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// loginSilence is how long a client waits for the login node's next word:
// it answers at once or tells a waiting player its place every second.
const loginSilence = 15 * time.Second

// A login node tells a player in line its place every second in the first
// codec.LineNear places and every 5 s further back (the protocol's
// cadence). A player near the front that hears nothing for lineNearSilence
// (four of its intervals) takes the node for dead (a SIGKILLed node says
// nothing over UDP) and moves on with its ticket, which keeps its place at
// the next: a false alarm costs a handshake, and the front of a line is
// who gets in next. Further back, loginSilence.
const lineNearSilence = 4 * codec.LineNearEvery

// askOne sends a request to one login node and returns its answer, after
// any number of LoginQueued (each given to queued, when set).
func (l *LoginNodes) askOne(ctx context.Context, addr string, req []byte, queued func(InLine), t *lineTicket) (*wire.ServerMessage, error) {
	try := l.TryFor
	if try <= 0 {
		try = 3 * time.Second
	}
	if len(l.Addrs) == 1 {
		try = time.Hour // nowhere else to go: the caller's deadline rules
	}
	dctx, cancel := context.WithTimeout(ctx, try)
	defer cancel()
	dial := pquic.Dial
	if l.Transport != nil {
		dial = l.Transport.Dial
	}
	s, err := dial(dctx, addr, l.TLS)
	if err != nil {
		return nil, err
	}
	defer s.Close(0, "")
	if err := s.Send(req); err != nil {
		return nil, err
	}
	silence := loginSilence
	for {
		// The answer may wait for a hashing worker: the caller's deadline,
		// not the dial's, bounds it, and the login node's silence.
		deadline := time.Now().Add(silence)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		b, err := s.Recv(deadline)
		if err != nil {
			if done := Expired(ctx); done != nil {
				return nil, done // the caller's deadline, not the login node's silence
			}
			return nil, err
		}
		m := new(wire.ServerMessage)
		if err := codec.DecodeServerMessage(b, m); err != nil {
			return nil, fmt.Errorf("login %s: %w", addr, err)
		}
		if m.BodyType() != wire.ServerBodyLoginQueued {
			return m, nil
		}
		var q wire.LoginQueued
		codec.Member(m.Body, &q)
		silence = loginSilence
		if q.Position() <= codec.LineNear {
			silence = lineNearSilence
		}
		if b := q.TicketBytes(); len(b) > 0 {
			t.b, t.at = append([]byte(nil), b...), time.Now()
		}
		if queued != nil {
			queued(InLine{Position: q.Position(), Wait: time.Duration(q.EstimatedWaitMs()) * time.Millisecond, RealmFull: q.RealmFull()})
		}
	}
}

func readLoginResult(m *wire.ServerMessage) (codec.LoginResult, error) {
	if m.BodyType() != wire.ServerBodyLoginResult {
		return codec.LoginResult{}, fmt.Errorf("login: unexpected answer %s", m.BodyType())
	}
	var w wire.LoginResult
	codec.Member(m.Body, &w)
	r := codec.LoginResult{Status: w.Status(), SessionHandle: append([]byte(nil), w.SessionHandleBytes()...),
		ExpiresUnixMs: w.ExpiresUnixMs(), Message: string(w.Message()), RetryAfterMs: w.RetryAfterMs()}
	for i := 0; i < w.GatewaysLength(); i++ {
		r.Gateways = append(r.Gateways, string(w.Gateways(i)))
	}
	return r, nil
}
