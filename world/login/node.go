package login

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/persist/store"
)

// The bounds of a password, in bytes.
const (
	MinPassword = 1
	MaxPassword = 256
)

// Node is a running login node.
type Node struct {
	cfg      Config
	node     *node.Node
	accounts accounts
	ln       *pquic.Listener
	log      *slog.Logger
	clock    ecs.Clock
	limiter  *limiter
	queue    *queue
	dummy    string // a hash to check unknown accounts against

	ctx      context.Context
	cancel   context.CancelFunc
	stopOnce sync.Once
	conns    sync.WaitGroup // the accept loop and each connection
	workers  sync.WaitGroup

	results, registered *prometheus.CounterVec
	tickets             *prometheus.CounterVec // line tickets presented, by what became of them
	ticketer            *ticketer
	queueWait, lineWait prometheus.Histogram
	realms              realmStates

	linesMu sync.Mutex
	lines   map[string]*realmLine // full realms' lines, by realm
}

// job is one password check: a login, or a new account.
type job struct {
	account, password, realm string
	addr, host               string // the player's address, and its host alone
	register                 bool
	deadline                 time.Time // past it, the player has its answer (Busy): skip the check
	reply                    chan codec.LoginResult
	seq                      uint64                  // its number in line (queue.push)
	gone                     *atomic.Bool            // its player left while it waited: skip the check
	inLine                   *atomic.Pointer[waiter] // set once it waits in its full realm's line
	s                        *pquic.Session          // the player's connection (logins)
	arrived                  time.Time               // when it first joined its realm's line, by its ticket (zero: now)
}

// Start opens the accounts, joins the realm nodes and listens for players.
func Start(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
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
	l := &Node{cfg: cfg, clock: cfg.Clock, log: log, dummy: dummy, ticketer: newTicketer(cfg.Node.Secret),
		limiter: newLimiter(cfg.PerSecond, cfg.Burst), queue: newQueue(cfg.Queue, cfg.PerAddress, cfg.SuspectFor)}
	cfg.Node.Handler = l
	if l.node, err = node.New(cfg.Node); err != nil {
		return nil, err
	}
	if cfg.AccountDB != "" {
		l.accounts = newAccountDB(l.node, cfg.AccountDB)
	} else {
		s, err := store.Open(cfg.Accounts)
		if err != nil {
			return nil, fmt.Errorf("login: accounts: %w", err)
		}
		l.accounts = localAccounts{s}
	}
	accounts := l.accounts
	l.results = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "login", Name: "attempts_total",
		Help: "Login attempts by outcome."}, []string{"status"})
	l.registered = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "login", Name: "registrations_total",
		Help: "Requests for a new account by outcome."}, []string{"status"})
	l.queueWait = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "gridrealm", Subsystem: "login", Name: "queue_wait_seconds",
		Help: "How long logins and new accounts waited for a password check.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 16)})
	waiting := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "login", Name: "queue_waiting",
		Help: "Logins and new accounts waiting in line for a password check."}, func() float64 {
		l.queue.mu.Lock()
		defer l.queue.mu.Unlock()
		return float64(l.queue.waiting)
	})
	l.lineWait = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "gridrealm", Subsystem: "login", Name: "realm_line_wait_seconds",
		Help: "How long players waited in a full realm's line.", Buckets: prometheus.ExponentialBuckets(0.1, 2, 16)})
	inLines := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "login", Name: "realm_line_waiting",
		Help: "Players waiting in full realms' lines."}, func() float64 { return float64(l.inLines()) })
	l.tickets = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "login", Name: "realm_line_tickets_total",
		Help: "Line tickets presented by players whose login node stopped answering: kept (the player keeps its place), stale, bad."}, []string{"outcome"})
	l.node.Metrics().MustRegister(l.results, l.registered, l.queueWait, waiting, l.lineWait, inLines, l.tickets)
	l.realms.states = map[string]codec.RealmInfo{}
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
	l.workers.Add(cfg.Workers + 1)
	for i := 0; i < cfg.Workers; i++ {
		go l.worker()
	}
	go l.admitLines()
	l.conns.Add(2)
	go l.accept()
	go l.watchRealms()
	return l, nil
}

// Addr returns the players' address.
func (l *Node) Addr() string { return l.ln.Addr().String() }

// Node returns the login node's node.
func (l *Node) Node() *node.Node { return l.node }

// CreateAccount creates an account with a password.
func (l *Node) CreateAccount(name, password string) error {
	if len(password) < MinPassword || len(password) > MaxPassword {
		return fmt.Errorf("account %q: %w: a password of %d..%d bytes is needed", name, store.ErrInvalid, MinPassword, MaxPassword)
	}
	h, err := HashPassword(password, l.cfg.Hash)
	if err != nil {
		return err
	}
	return l.accounts.CreateAccount(name, h)
}

// Stop stops accepting players, answers the logins under way, and stops.
// The players in its realms' lines have their connections closed first,
// while the listener can still say so: each client moves on at once to
// another login node, where its line ticket keeps its place (ticket.go).
// The queue closes only once no connection can submit to it. Stopping
// twice is stopping once.
func (l *Node) Stop() { l.stopOnce.Do(l.stop) }

func (l *Node) stop() {
	l.cancel()
	l.sendLinesOn()
	l.ln.Close()
	l.conns.Wait()
	l.queue.close()
	l.workers.Wait()
	l.node.Stop()
	l.accounts.Close()
}

// HandleMessage: nothing is expected from realm nodes yet.
func (l *Node) HandleMessage(*node.Node, node.Message) {}

// HandlePeer: links to realm nodes come and go.
func (l *Node) HandlePeer(*node.Node, node.PeerEvent) {}
