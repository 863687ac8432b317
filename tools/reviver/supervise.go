package reviver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// supervise keeps one node running until the reviver stops: it watches the
// process (watch), and after a crash waits out the backoff and starts the
// node again, unless the crashes make a restart cycle.
func (r *Reviver) supervise(e registry.Entry, p *process) {
	defer r.wg.Done()
	backoff := r.cfg.BackoffMin
	for restarted := false; ; restarted = true {
		started := time.Now()
		why, stopping := r.watch(e, p, started, restarted)
		if stopping {
			return
		}
		r.setRunning(e.ID, nil)
		r.record(Event{Node: e.ID, Role: e.Role, Kind: Crashed, PID: p.pid(), Detail: why})
		if time.Since(started) > r.cfg.CycleWindow {
			backoff = r.cfg.BackoffMin // it had been up for a while: a fresh failure
		}
		if r.inCycle(e) {
			return
		}
		if e.RecoveryMode() == registry.StopAndRestore {
			if e.Realm != "" {
				go r.stopAndRestore(e, why)
				return
			}
			// A store every realm shares (the login db): there is no realm
			// to stop, only logins wait. Its start restores the backup
			// fetched here if its own store cannot be used.
			r.record(Event{Node: e.ID, Role: e.Role, Kind: StopAndRestore, Detail: why + " (shared: restarted alone)"})
			r.fetchBackup(e)
		}
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(backoff):
		}
		if !r.Acting() {
			return // its lease ran out: the next holder looks at the node afresh
		}
		next, err := r.launch.launch(e)
		if err != nil {
			r.record(Event{Node: e.ID, Role: e.Role, Kind: GaveUp, Detail: err.Error()})
			return
		}
		r.setRunning(e.ID, next)
		r.record(Event{Node: e.ID, Role: e.Role, Kind: Restarted, PID: next.pid(), Detail: fmt.Sprintf("after %v of backoff", backoff)})
		backoff = min(2*backoff, r.cfg.BackoffMax)
		p = next
	}
}

// inCycle counts a node's crash; when it makes CycleLimit within
// CycleWindow (across restarts of the whole realm too), the reviver gives
// up on the node and reports it.
func (r *Reviver) inCycle(e registry.Entry) bool {
	now := time.Now()
	r.mu.Lock()
	deaths := append(r.deaths[e.ID], now)
	for len(deaths) > 0 && now.Sub(deaths[0]) > r.cfg.CycleWindow {
		deaths = deaths[1:]
	}
	r.deaths[e.ID] = deaths
	cycle := len(deaths) >= r.cfg.CycleLimit
	if cycle {
		r.gaveUp[e.ID] = true
	}
	r.mu.Unlock()
	if cycle && r.cfg.State != "" {
		if _, err := r.lease.update(func(l *Lease) bool { return l.Holder == r.cfg.ID && gaveUpOn(l, e.ID) }); err != nil {
			r.cfg.Logger.Warn("reviver: lease: " + err.Error())
		}
	}
	if cycle {
		r.record(Event{Node: e.ID, Role: e.Role, Kind: GaveUp,
			Detail: fmt.Sprintf("%d crashes within %v: a restart cycle; the node stays stopped", len(deaths), r.cfg.CycleWindow)})
	}
	return cycle
}

// watch waits until the node's process exits, or it fails its health
// check for DeadAfter (then it is killed), or the reviver stops. It
// returns why the node is dead, or stopping.
func (r *Reviver) watch(e registry.Entry, p *process, started time.Time, restarted bool) (why string, stopping bool) {
	var healthySince, failingSince time.Time
	for {
		select {
		case <-r.ctx.Done():
			return "", true
		case <-p.done:
			return exitStatus(p.err), false
		case <-time.After(r.cfg.CheckEvery):
		}
		if e.Admin == "" || e.Admin == "-" {
			continue // nothing to ask: the process's exit is all there is
		}
		err := r.healthy(e.Admin)
		now := time.Now()
		switch {
		case err == nil && healthySince.IsZero():
			healthySince, failingSince = now, time.Time{}
			if restarted {
				r.record(Event{Node: e.ID, Role: e.Role, Kind: Recovered, PID: p.pid(), Detail: fmt.Sprintf("healthy %v after its start", now.Sub(started).Round(time.Millisecond))})
			}
		case err == nil:
			failingSince = time.Time{}
		case !r.Acting():
			continue // only the holder of the lease kills a node
		case healthySince.IsZero() && now.Sub(started) > r.cfg.StartGrace:
			p.kill()
			return fmt.Sprintf("not healthy %v after its start: %v", r.cfg.StartGrace, err), false
		case !healthySince.IsZero() && failingSince.IsZero():
			failingSince = now
		case !healthySince.IsZero() && now.Sub(failingSince) >= r.cfg.DeadAfter:
			p.kill()
			return fmt.Sprintf("not answering its health check for %v: %v", r.cfg.DeadAfter, err), false
		}
	}
}

// healthy asks a node's /healthz.
func (r *Reviver) healthy(admin string) error {
	resp, err := r.http.Get("http://" + admin + "/healthz")
	if err != nil {
		return err
	}
	// Read to its end, so that the connection is kept for the next check:
	// closed unread, each check (every node, 4 times a second) opened a
	// new TCP connection, a fifth of an idle realm's CPU.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}

func exitStatus(err error) string {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return "exited: status 0"
	case errors.As(err, &exit):
		return "exited: " + err.Error()
	default:
		return err.Error()
	}
}
