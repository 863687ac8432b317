package reviver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gridrealm/gridrealm/net/metrics"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridrealm/gridrealm/net/registry"
)

// Reviver keeps a registry's nodes running. Create it with Start.
type Reviver struct {
	cfg    Config
	launch *launcher
	http   *http.Client
	lease  leaseFile
	born   time.Time     // when it started: a realm stopped on purpose since stays stopped
	quit   chan struct{} // closed when Stop has finished

	// The supervisors of the running generation of nodes: a scheduled
	// restart stops them all and starts a new generation.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	restart  *schedule // the scheduled restart, if any (under mu)
	stopped  chan struct{}
	stopOnce sync.Once

	mu      sync.Mutex
	active  bool      // it holds the lease (always, without State)
	epoch   uint64    // the lease's epoch while active
	until   time.Time // when its lease runs out by its own clock, unless renewed
	view    leaseView // what it has seen of the lease
	events  []Event
	running map[string]*process // by node id, while it runs
	gaveUp  map[string]bool
	deaths  map[string][]time.Time // each node's recent crashes
	// procedure serializes the procedures that stop and start the whole
	// realm (a scheduled restart, a stop-and-restore).
	procedure sync.Mutex

	reg    *metrics.Registry
	counts *prometheus.CounterVec
	admin  *http.Server
	adminL net.Listener
}

// Start starts every node with a restart command and supervises them
// until Stop.
func Start(cfg Config) (*Reviver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Reviver{cfg: cfg, running: map[string]*process{}, gaveUp: map[string]bool{}, deaths: map[string][]time.Time{}, reg: metrics.NewRegistry(),
		http: &http.Client{Timeout: cfg.DeadAfter / 2}, stopped: make(chan struct{}), quit: make(chan struct{}),
		launch: &launcher{state: cfg.State, out: cfg.Out}, lease: leaseFile{dir: cfg.State}, born: time.Now()}
	r.counts = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "reviver", Name: "events_total",
		Help: "What happened to the nodes the reviver keeps running, by node, role and event (started, crashed, restarted, recovered, gave_up)."},
		[]string{"node", "role", "event"})
	r.reg.MustRegister(r.counts, prometheus.NewGoCollector())
	if err := r.startAdmin(); err != nil {
		return nil, err
	}
	if cfg.State == "" {
		r.active = true
		if err := r.startNodes(); err != nil {
			r.Stop()
			return nil, err
		}
	} else {
		if restartable(cfg.Registry) == 0 {
			r.Stop()
			return nil, fmt.Errorf("%w: no node of the registry has a restart command", ErrConfig)
		}
		r.tick() // active at once when the lease is free
		go r.lead()
	}
	for _, e := range cfg.Registry.ByRole("", registry.RoleReviver) {
		if h, m, err := registry.DailyTime(e.RestartDaily); e.RestartDaily != "" && err == nil {
			go r.daily(h, m)
			break
		}
	}
	return r, nil
}

// startNodes starts every node with a restart command — or adopts it,
// when a reviver before this one started it and it still runs — each under
// a supervisor of a new generation. A node given up on stays stopped.
func (r *Reviver) startNodes() error {
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if restartable(r.cfg.Registry) == 0 {
		return fmt.Errorf("%w: no node of the registry has a restart command", ErrConfig)
	}
	for _, e := range r.cfg.Registry.Nodes {
		if len(e.Restart) == 0 || r.GaveUp(e.ID) {
			continue
		}
		p := r.launch.adopt(e.ID, r.quit)
		if p != nil {
			r.record(Event{Node: e.ID, Role: e.Role, Kind: Adopted, PID: p.pid()})
		} else {
			var err error
			if p, err = r.launch.launch(e); err != nil {
				return err
			}
			r.record(Event{Node: e.ID, Role: e.Role, Kind: Started, PID: p.pid()})
		}
		r.setRunning(e.ID, p)
		r.wg.Add(1)
		go r.supervise(e, p)
	}
	return nil
}

// Running returns the process id of every node running now.
func (r *Reviver) Running() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for id, p := range r.running {
		out[id] = p.pid()
	}
	return out
}

// GaveUp reports whether the reviver gave up on a node (a restart cycle).
func (r *Reviver) GaveUp(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gaveUp[id]
}

// Stop stops supervising and stops every node (SIGTERM, then SIGKILL after
// StopGrace). It returns once no node it started is left; the error lists
// the nodes that had to be killed.
//
// With State, only the holder of the lease stops the nodes: it first marks
// the realm stopped in the lease (so that no standby takes over and starts
// them again), and lets the lease go at the end. A standby just stops.
func (r *Reviver) Stop() error {
	r.stopOnce.Do(func() { close(r.stopped) })
	r.CancelRestart()
	r.procedure.Lock() // a procedure under way ends first, and starts nothing after
	defer r.procedure.Unlock()
	defer func() {
		if r.admin != nil {
			r.admin.Close()
		}
		select {
		case <-r.quit:
		default:
			close(r.quit)
		}
	}()
	if !r.Active() {
		return nil
	}
	if r.cfg.State != "" {
		r.lease.update(func(l *Lease) bool {
			l.Stopped = time.Now()
			return l.Holder == r.cfg.ID
		})
	}
	err := r.stopNodes()
	if r.cfg.State != "" {
		r.lease.update(func(l *Lease) bool {
			if l.Holder != r.cfg.ID {
				return false
			}
			l.Holder, l.Admin = "", ""
			return true
		})
	}
	return err
}

// stopOrder is the order nodes stop in: players' doors first (they tell
// players why), then the directory, the zones (which save everyone), and
// the db last.
var stopOrder = []registry.Role{registry.RoleGateway, registry.RoleLogin, registry.RoleRealm, registry.RoleZone,
	registry.RoleInstance, registry.RoleBackup, registry.RoleDB}

// stopNodes stops the supervisors, then every node, role by role in
// stopOrder (the nodes of a role together).
func (r *Reviver) stopNodes() error {
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	r.mu.Lock()
	procs := r.running
	r.running = map[string]*process{}
	r.mu.Unlock()
	if !r.Acting() {
		return nil // no longer its realm to stop
	}
	var errs []error
	var mu sync.Mutex
	stopRole := func(match func(registry.Role) bool) {
		var wg sync.WaitGroup
		for id, p := range procs {
			e, _ := r.entry(id)
			if !match(e.Role) {
				continue
			}
			delete(procs, id)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if p.stop(r.cfg.StopGrace) {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s did not stop within %v: killed", id, r.cfg.StopGrace))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	for _, role := range stopOrder {
		stopRole(func(r registry.Role) bool { return r == role })
	}
	stopRole(func(registry.Role) bool { return true }) // any other
	return errors.Join(errs...)
}

func (r *Reviver) setRunning(id string, p *process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p == nil {
		delete(r.running, id)
		return
	}
	r.running[id] = p
}

// entry returns a node's registry entry.
func (r *Reviver) entry(id string) (registry.Entry, bool) {
	for _, e := range r.cfg.Registry.Nodes {
		if e.ID == id {
			return e, true
		}
	}
	return registry.Entry{}, false
}
