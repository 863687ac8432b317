package swarm

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/pquic"
)

// Behavior is how bots move.
type Behavior string

// Behaviors.
const (
	Wander Behavior = "wander"
	Clump  Behavior = "clump"
	Follow Behavior = "follow"
	// Travel walks east into the next zone and back west, again and
	// again: every crossing is a handoff (Report.Handoffs and its time in
	// RecoveryBy["handoff"]).
	Travel Behavior = "travel"
	// Trade: wander and fight NPCs for loot (Fight is implied), and trade
	// with the bots nearby in the same zone: every few seconds a bot that
	// owns items offers one, half the time asking one of the other bot's
	// in return; every bot accepts what it is offered.
	Trade Behavior = "trade"
)

// Config configures a run; the zero value of a field means its default.
type Config struct {
	// Login is the login nodes' player addresses, separated by commas:
	// each bot starts at the next one and moves on when one cannot be
	// reached. Required.
	Login string
	// TLS trusts the realm's certificate. Required.
	TLS *tls.Config
	// Realm to play on (default "dev").
	Realm string
	// Accounts is the account name prefix (default "bot"): bot i logs in
	// as Accounts+(First+i), with Password (default "bot"), as `realm up
	// --dev-accounts N` creates them.
	Accounts string
	First    int
	Password string
	// Bots is how many bots run (required, ≥ 1).
	Bots int
	// Duration of the steady phase (required): it begins once every bot
	// has connected or failed (Settle later when some failed), and is what
	// the latencies describe.
	Duration time.Duration
	// Ramp is how many bots start per second (0: all at once).
	Ramp float64
	// DeadAfter is how long a bot's gateway may stay silent before the bot
	// counts its connection as lost and resumes through a gateway (0:
	// client.DefaultReconnectDeadAfter, as a player's client).
	DeadAfter time.Duration
	// RampTimeout bounds the ramp (default 3 min): bots not connected by
	// then count as failed, and the steady phase begins.
	RampTimeout time.Duration
	// Settle is how long the steady phase waits after a ramp that left
	// bots out (default DefaultSettle; negative: not at all). Those still
	// in a line or told to retry give up together when the ramp ends, and
	// closing hundreds of connections at once is the swarm's own burst of
	// work: it starves the playing bots' snapshot handling for seconds
	// (ages of 400-560 ms p99 in the first seconds after 928 gave up in an
	// overload run, with the swarm's scheduling delay p99 at 100-335 ms),
	// which is not the realm's steady play.
	Settle time.Duration
	// Behavior (default wander).
	Behavior Behavior
	// Seed makes the bots' choices repeatable.
	Seed uint64
	// Fight makes the bots hold the attack action: each hits the nearest
	// NPC in range when it can, and the NPCs it kills drop loot — items
	// granted in the db (what a crash drill then counts).
	Fight bool
	// InputEvery is how a bot sends its inputs: as a client should
	// (client.Conn.Steer: on a change of intent, else every InputEvery with
	// the newest snapshot's acknowledgement; 0: client.DefaultSteerEvery),
	// or, negative, one every tick whatever changed (the old way, to
	// compare).
	InputEvery time.Duration
	// DropRate is the share of snapshot datagrams each bot throws away, as
	// a lossy network would.
	DropRate float64
	// Names makes the bots label what they see, as a client drawing names
	// over heads would: each asks who the entities it is shown and cannot
	// name are (client.Conn.AskNames: WhoIs, four questions a second at
	// most), and the report says how many were named and how long the
	// answers took (Report.Names).
	Names bool
	// Progress, when set, is called once a second.
	Progress func(Progress)
}

// DefaultSettle is Config.Settle's default: in the overload run the bots'
// snapshot ages were back to their steady figures 5 s after 928 gave up.
const DefaultSettle = 5 * time.Second

// botsPerSocket is how many bots share one UDP socket.
const botsPerSocket = 32

type swarm struct {
	cfg     Config
	m       *metrics
	bots    []*bot
	joining sync.WaitGroup // bots not yet connected or failed
	steady  chan struct{}  // closed when the steady phase begins

	logins *client.LoginNodes

	clumpMu        sync.Mutex
	clumpX, clumpY float64
	clumpSet       bool
}

// Run ramps the bots up, runs them for cfg.Duration (or until ctx ends)
// and returns the report. Every bot has stopped and closed its connection
// when it returns.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	s := &swarm{cfg: cfg, m: newMetrics(start), steady: make(chan struct{}),
		logins: &client.LoginNodes{Addrs: strings.Split(cfg.Login, ","), TLS: cfg.TLS}}
	transports, err := s.makeBots()
	defer func() {
		for _, t := range transports {
			t.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seconds := s.timeline(ctx)
	var wg sync.WaitGroup
	s.ramp(ctx, start, &wg)
	if s.m.failedSoFar() > 0 && cfg.Settle > 0 && ctx.Err() == nil {
		s.m.settling(cfg.Settle)
		select {
		case <-time.After(cfg.Settle):
		case <-ctx.Done():
		}
	}
	// The steady phase: every bot that will connect has.
	if ctx.Err() == nil {
		s.m.beginSteady()
		close(s.steady)
		select {
		case <-time.After(cfg.Duration):
		case <-ctx.Done():
		}
	}
	cancel()
	wg.Wait()
	<-seconds
	return s.m.report(cfg, time.Since(start)), nil
}

// withDefaults checks the config and fills in its defaults.
func (cfg Config) withDefaults() (Config, error) {
	switch {
	case cfg.Login == "" || cfg.TLS == nil:
		return cfg, errors.New("swarm: Login and TLS are required")
	case cfg.Bots < 1 || cfg.Duration <= 0:
		return cfg, errors.New("swarm: Bots ≥ 1 and a positive Duration are required")
	case cfg.Ramp < 0 || cfg.DropRate < 0 || cfg.DropRate >= 1 || cfg.DeadAfter < 0:
		return cfg, errors.New("swarm: Ramp and DeadAfter must be ≥ 0 and DropRate in [0, 1)")
	}
	if cfg.Realm == "" {
		cfg.Realm = "dev"
	}
	if cfg.RampTimeout <= 0 {
		cfg.RampTimeout = 3 * time.Minute
	}
	if cfg.Settle == 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.Accounts == "" {
		cfg.Accounts = "bot"
	}
	if cfg.Password == "" {
		cfg.Password = "bot"
	}
	switch cfg.Behavior {
	case "":
		cfg.Behavior = Wander
	case Wander, Clump, Follow, Travel:
	case Trade:
		cfg.Fight = true
	default:
		return cfg, fmt.Errorf("swarm: unknown behavior %q (want wander, clump, follow, travel or trade)", cfg.Behavior)
	}
	return cfg, nil
}

// makeBots makes the bots; they share UDP sockets, botsPerSocket each:
// fewer receive loops, and packets read in batches.
func (s *swarm) makeBots() ([]*pquic.Transport, error) {
	var transports []*pquic.Transport
	for i := range s.cfg.Bots {
		if i%botsPerSocket == 0 {
			t, err := pquic.NewTransport()
			if err != nil {
				return transports, fmt.Errorf("swarm: %w", err)
			}
			transports = append(transports, t)
		}
		s.bots = append(s.bots, &bot{s: s, index: i, rng: rand.New(rand.NewPCG(s.cfg.Seed, uint64(i))), transport: transports[len(transports)-1], fresh: make(chan struct{}, 1)})
	}
	return transports, nil
}

// timeline closes one entry of the timeline a second until ctx ends; the
// channel it returns closes after the last.
func (s *swarm) timeline(ctx context.Context) <-chan struct{} {
	seconds := make(chan struct{})
	go func() {
		defer close(seconds)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				s.m.closeSecond() // the last, partial second
				return
			case <-t.C:
				sec := s.m.closeSecond()
				if s.cfg.Progress != nil {
					s.cfg.Progress(s.m.progress(sec, s.cfg.Bots))
				}
			}
		}
	}()
	return seconds
}

// ramp starts the bots at cfg.Ramp a second, each logging in and
// connecting (wg counts them), and returns when each has connected or
// failed, or ctx ends.
func (s *swarm) ramp(ctx context.Context, start time.Time, wg *sync.WaitGroup) {
	joinBy := start.Add(s.cfg.RampTimeout)
	s.joining.Add(s.cfg.Bots)
	started := 0
	for i, b := range s.bots {
		if s.cfg.Ramp > 0 {
			at := start.Add(time.Duration(float64(i) / s.cfg.Ramp * float64(time.Second)))
			select {
			case <-ctx.Done():
			case <-time.After(time.Until(at)):
			}
		}
		if ctx.Err() != nil || time.Now().After(joinBy) {
			break
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.run(ctx, joinBy)
		}()
	}
	for range s.bots[started:] {
		s.m.fail("not started: the ramp ended first")
		s.joining.Done()
	}
	joined := make(chan struct{})
	go func() {
		s.joining.Wait()
		close(joined)
	}()
	select {
	case <-joined:
	case <-ctx.Done():
	}
}

// clumpPoint returns where clumping bots gather: the first position any
// bot reported.
func (s *swarm) clumpPoint() (float64, float64, bool) {
	s.clumpMu.Lock()
	defer s.clumpMu.Unlock()
	return s.clumpX, s.clumpY, s.clumpSet
}

func (s *swarm) offerClumpPoint(x, y float64) {
	s.clumpMu.Lock()
	if !s.clumpSet {
		s.clumpX, s.clumpY, s.clumpSet = x, y, true
	}
	s.clumpMu.Unlock()
}
