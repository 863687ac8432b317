// Package swarm runs headless bots against a realm, over real QUIC through
// the client library (net/client), and reports what they saw. It is what
// the swarm command runs; load tests can call Run directly.
//
// Each bot logs in (retrying while the login node says Busy, rate limits
// or cannot be reached), connects to the gateway it is given (following a
// redirect), then sends one input per tick, acknowledging the newest
// snapshot, until the run ends. Behaviors:
//
//   - wander: walk legs of 1–3 s, each turning 90° or more from the last;
//   - clump: walk to where the first bot stood and mill about within 12 m:
//     the worst case for interest management and snapshot budgets;
//   - follow: groups of ten, each bot keeping within 3 m of the one before,
//     the first of each group wandering.
//
// Measured: snapshot age, from the tick's wall-clock time (carried by every
// snapshot) to the datagram's arrival, which assumes the bots share the
// realm's clock (same machine, or synchronized clocks); input→echo, from
// an input that turns the bot by 90° or more (or starts it walking) to the
// first snapshot in which its own entity moves the new way; downstream
// bytes per bot; snapshot datagrams over their player's budget; why bots
// failed to connect or were disconnected; and a timeline per second.
package swarm

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Behavior is how bots move.
type Behavior string

// Behaviors.
const (
	Wander Behavior = "wander"
	Clump  Behavior = "clump"
	Follow Behavior = "follow"
)

// Config configures a run; the zero value of a field means its default.
type Config struct {
	// Login is the login node's player address. Required.
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
	// Duration of the run, ramp included (required).
	Duration time.Duration
	// Ramp is how many bots start per second (0: all at once).
	Ramp float64
	// Behavior (default wander).
	Behavior Behavior
	// Seed makes the bots' choices repeatable.
	Seed uint64
	// DropRate is the share of snapshot datagrams each bot throws away, as
	// a lossy network would.
	DropRate float64
	// Progress, when set, is called once a second.
	Progress func(Progress)
}

type swarm struct {
	cfg  Config
	m    *metrics
	bots []*bot

	clumpMu        sync.Mutex
	clumpX, clumpY float64
	clumpSet       bool
}

// Run runs the bots for cfg.Duration (or until ctx ends) and returns the
// report. Every bot has stopped and closed its connection when it returns.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Login == "" || cfg.TLS == nil {
		return nil, errors.New("swarm: Login and TLS are required")
	}
	if cfg.Bots < 1 || cfg.Duration <= 0 {
		return nil, errors.New("swarm: Bots ≥ 1 and a positive Duration are required")
	}
	if cfg.Ramp < 0 || cfg.DropRate < 0 || cfg.DropRate >= 1 {
		return nil, errors.New("swarm: Ramp must be ≥ 0 and DropRate in [0, 1)")
	}
	if cfg.Realm == "" {
		cfg.Realm = "dev"
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
	case Wander, Clump, Follow:
	default:
		return nil, fmt.Errorf("swarm: unknown behavior %q (want wander, clump or follow)", cfg.Behavior)
	}
	start := time.Now()
	end := start.Add(cfg.Duration)
	s := &swarm{cfg: cfg, m: newMetrics(start)}
	for i := range cfg.Bots {
		s.bots = append(s.bots, &bot{s: s, index: i, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i)))})
	}
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()

	var wg sync.WaitGroup
	seconds := make(chan struct{})
	go func() { // the timeline, one entry a second
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
				if cfg.Progress != nil {
					cfg.Progress(s.m.progress(sec, cfg.Bots))
				}
			}
		}
	}()
launch:
	for i, b := range s.bots {
		if cfg.Ramp > 0 {
			at := start.Add(time.Duration(float64(i) / cfg.Ramp * float64(time.Second)))
			select {
			case <-ctx.Done():
				for range s.bots[i:] {
					s.m.fail("not started: the run ended during the ramp")
				}
				break launch
			case <-time.After(time.Until(at)):
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.run(ctx, end)
		}()
	}
	wg.Wait()
	<-seconds
	return s.m.report(cfg, time.Since(start)), nil
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
