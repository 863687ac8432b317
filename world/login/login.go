// Package login is the login node: players connect over QUIC, prove who
// they are with a password, and receive a session handle, which the login
// node hands to the realm node of the realm they asked for.
//
// Passwords are checked with argon2id (at least OWASP's m = 19 MiB, t = 2,
// p = 1) on a bounded pool of workers: a flood of logins waits in a short
// queue or is told Busy, and cannot starve the node. Attempts are rate
// limited per address. A failed login never says whether the account
// exists: an unknown account costs the same hash as a wrong password and
// gets the same answer. A session handle is 256 random bits, expires, and
// the realm node lets it connect one gateway connection once.
//
// Accounts live in the login node's own store (persist/store, apart from
// the game state).
package login

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/store"
)

// Realm is a realm players can log in to.
type Realm struct {
	// Node is the realm node's id; it must be among Node.Peers.
	Node string
	// Gateways are the player addresses of its gateways, told to players.
	Gateways []string
}

// Config configures a login node; the zero value of a field means its
// default.
type Config struct {
	Node node.Config
	// Listen is the players' QUIC address. Required.
	Listen string
	// TLS is the server TLS config (pquic.ServerTLS). Required.
	TLS *tls.Config
	// Accounts is the login node's own store. Required.
	Accounts store.Config
	// Realms, by name.
	Realms map[string]Realm
	// Hash are argon2id's parameters for new accounts (default OWASP).
	Hash Params
	// Workers check passwords (default: one per CPU); Queue bounds the
	// logins waiting for one (default 4 per worker); past it: Busy.
	Workers, Queue int
	// PerSecond and Burst limit attempts per address (defaults 1 and 5).
	PerSecond float64
	Burst     int
	// SessionTTL is how long a handle stays valid (default 2 min).
	SessionTTL time.Duration
	// Handshake bounds a connection from accept to answer (default 10 s).
	Handshake time.Duration
}

// Login is a running login node.
type Node struct {
	cfg      Config
	node     *node.Node
	accounts *store.Store
	ln       *pquic.Listener
	log      *slog.Logger
	limiter  *limiter
	jobs     chan job
	dummy    string // a hash to check unknown accounts against

	ctx     context.Context
	cancel  context.CancelFunc
	conns   sync.WaitGroup // the accept loop and each connection
	workers sync.WaitGroup

	results *prometheus.CounterVec
}

type job struct {
	account, password, realm, addr string
	reply                          chan codec.LoginResult
}

// Start opens the accounts, joins the realm nodes and listens for players.
func Start(cfg Config) (*Node, error) {
	if cfg.Listen == "" || cfg.TLS == nil {
		return nil, errors.New("login: Listen and TLS are required")
	}
	if cfg.Hash == (Params{}) {
		cfg.Hash = OWASP
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Queue == 0 {
		cfg.Queue = 4 * cfg.Workers
	}
	if cfg.PerSecond == 0 {
		cfg.PerSecond = 1
	}
	if cfg.Burst == 0 {
		cfg.Burst = 5
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 2 * time.Minute
	}
	if cfg.Handshake == 0 {
		cfg.Handshake = 10 * time.Second
	}
	if cfg.Node.Role == "" {
		cfg.Node.Role = "login"
	}
	log := cfg.Node.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.Accounts.Logger = log
	dummy, err := HashPassword("no account has this password", cfg.Hash)
	if err != nil {
		return nil, err
	}
	accounts, err := store.Open(cfg.Accounts)
	if err != nil {
		return nil, fmt.Errorf("login: accounts: %w", err)
	}
	l := &Node{cfg: cfg, accounts: accounts, log: log, dummy: dummy,
		limiter: newLimiter(cfg.PerSecond, cfg.Burst), jobs: make(chan job, cfg.Queue)}
	cfg.Node.Handler = l
	if l.node, err = node.New(cfg.Node); err != nil {
		accounts.Close()
		return nil, err
	}
	l.results = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "login", Name: "attempts_total",
		Help: "Login attempts by outcome."}, []string{"status"})
	l.node.Metrics().MustRegister(l.results)
	if err := l.node.Start(); err != nil {
		accounts.Close()
		return nil, err
	}
	if l.ln, err = pquic.Listen(cfg.Listen, cfg.TLS); err != nil {
		l.node.Stop()
		accounts.Close()
		return nil, err
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.workers.Add(cfg.Workers)
	for i := 0; i < cfg.Workers; i++ {
		go l.worker()
	}
	l.conns.Add(1)
	go l.accept()
	return l, nil
}

// Addr returns the players' address.
func (l *Node) Addr() string { return l.ln.Addr().String() }

// Node returns the login node's node.
func (l *Node) Node() *node.Node { return l.node }

// CreateAccount creates an account with a password.
func (l *Node) CreateAccount(name, password string) error {
	if len(password) < 1 || len(password) > 256 {
		return fmt.Errorf("account %q: %w: a password of 1..256 bytes is needed", name, store.ErrInvalid)
	}
	h, err := HashPassword(password, l.cfg.Hash)
	if err != nil {
		return err
	}
	_, err = l.accounts.CreateAccount(name, h)
	return err
}

// Stop stops accepting players, answers the logins under way, and stops.
// The queue closes only once no connection can submit to it.
func (l *Node) Stop() {
	l.cancel()
	l.ln.Close()
	l.conns.Wait()
	close(l.jobs)
	l.workers.Wait()
	l.node.Stop()
	l.accounts.Close()
}

// HandleMessage: nothing is expected from realm nodes yet.
func (l *Node) HandleMessage(*node.Node, node.Message) {}

// HandlePeer: links to realm nodes come and go.
func (l *Node) HandlePeer(*node.Node, node.PeerEvent) {}

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

// serve answers one connection's login request.
func (l *Node) serve(s *pquic.Session) {
	deadline := time.Now().Add(l.cfg.Handshake)
	b, err := s.Recv(deadline)
	if err != nil {
		s.Close(wire.DisconnectReasonProtocolError, "no login request")
		return
	}
	var m wire.ClientMessage
	if err := codec.DecodeClientMessage(b, &m); err != nil || m.BodyType() != wire.ClientBodyLoginRequest {
		l.results.WithLabelValues("malformed").Inc()
		s.Close(wire.DisconnectReasonProtocolError, "expected a login request")
		return
	}
	var req wire.LoginRequest
	codec.Member(m.Body, &req)
	res := l.login(string(req.Account()), string(req.Password()), string(req.Realm()), s.RemoteAddr(), deadline)
	l.results.WithLabelValues(res.Status.String()).Inc()
	if err := s.Send(codec.NewPlayerEncoder().LoginResult(&res)); err != nil {
		s.Close(wire.DisconnectReasonServerError, "")
		return
	}
	s.Finish(2 * time.Second)
}

// login decides one attempt.
func (l *Node) login(account, password, realmName string, addr net.Addr, deadline time.Time) codec.LoginResult {
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !l.limiter.allow(host, time.Now()) {
		return codec.LoginResult{Status: wire.LoginStatusRateLimited, Message: "too many attempts: wait a moment"}
	}
	realm, ok := l.cfg.Realms[realmName]
	if !ok {
		return codec.LoginResult{Status: wire.LoginStatusUnknownRealm, Message: fmt.Sprintf("no realm %q here", realmName)}
	}
	j := job{account: account, password: password, realm: realmName, addr: addr.String(), reply: make(chan codec.LoginResult, 1)}
	select {
	case l.jobs <- j:
	default:
		return codec.LoginResult{Status: wire.LoginStatusBusy, Message: "login is busy: try again in a few seconds"}
	}
	select {
	case res := <-j.reply:
		if res.Status == wire.LoginStatusOk {
			res.Gateways = realm.Gateways
		}
		return res
	case <-time.After(time.Until(deadline)):
		return codec.LoginResult{Status: wire.LoginStatusBusy, Message: "login is busy: try again in a few seconds"}
	}
}

// denied is the one answer to every failed password check.
var denied = codec.LoginResult{Status: wire.LoginStatusDenied, Message: "wrong account name or password"}

func (l *Node) worker() {
	defer l.workers.Done()
	for j := range l.jobs {
		j.reply <- l.check(j)
	}
}

// check runs the password check and, on success, creates the session.
func (l *Node) check(j job) codec.LoginResult {
	a, err := l.accounts.Account(j.account)
	if err != nil {
		CheckPassword(l.dummy, j.password) // the same cost as a real check
		return denied
	}
	ok, err := CheckPassword(a.Hash, j.password)
	if err != nil {
		l.log.Error("login: account has a bad hash", "account", j.account, "err", err)
		return denied
	}
	if !ok {
		return denied
	}
	handle := make([]byte, codec.SessionHandleSize)
	if _, err := rand.Read(handle); err != nil {
		return codec.LoginResult{Status: wire.LoginStatusBusy, Message: "try again"}
	}
	expires := time.Now().Add(l.cfg.SessionTTL).UnixMilli()
	sc := codec.SessionCreated{Handle: handle, Account: j.account, ExpiresUnixMs: expires, Address: j.addr}
	payload := codec.NewRealmEncoder().SessionCreated(&sc)
	if err := l.node.Send(l.cfg.Realms[j.realm].Node, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload}); err != nil {
		l.log.Error("login: realm node unreachable", "realm", j.realm, "err", err)
		return codec.LoginResult{Status: wire.LoginStatusBusy, Message: "the realm is unavailable"}
	}
	return codec.LoginResult{Status: wire.LoginStatusOk, SessionHandle: handle, ExpiresUnixMs: expires, Message: "welcome"}
}
