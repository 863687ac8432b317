package reviver

import (
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// lead keeps the lease: every LeaseTTL/3 it renews it while it holds it,
// or looks whether it may take it, until Stop.
func (r *Reviver) lead() {
	for {
		select {
		case <-r.stopped:
			return
		case <-time.After(r.cfg.LeaseTTL / 3):
		}
		r.tick()
	}
}

// tick renews the lease, or takes it when it is free or its holder has
// not renewed it for LeaseTTL (as this reviver saw it), and acts on the
// change: a reviver that wins the lease builds a fresh view of the nodes
// and supervises them; one that finds it lost stops acting at once.
func (r *Reviver) tick() {
	now := time.Now()
	r.mu.Lock()
	wasActive, epoch := r.active, r.epoch
	r.mu.Unlock()
	var won, fresh bool
	l, err := r.lease.update(func(l *Lease) bool {
		r.view.observe(*l, now)
		switch {
		case wasActive && l.Holder == r.cfg.ID && l.Epoch == epoch:
			l.Renewed = now
			return true
		case !l.Stopped.IsZero() && l.Stopped.After(r.born):
			return false // stopped on purpose while this reviver ran: it stays stopped
		case l.Holder == "" || r.view.expired(now, r.cfg.LeaseTTL):
			if fresh = l.Holder == ""; fresh { // a realm started anew
				l.Stopped, l.GaveUp, l.Restart = time.Time{}, nil, nil
			}
			l.Holder, l.Admin, l.Renewed = r.cfg.ID, r.AdminAddr(), now
			l.Epoch++
			won = true
			return true
		}
		return false
	})
	switch {
	case err != nil:
		r.cfg.Logger.Warn("reviver: lease: " + err.Error())
		if wasActive && !r.Acting() {
			r.demote("its lease ran out: " + err.Error())
		}
	case wasActive && l.Holder == r.cfg.ID && l.Epoch == epoch:
		r.mu.Lock()
		r.until = now.Add(r.cfg.LeaseTTL * 5 / 6) // before any standby may take it
		r.mu.Unlock()
	case wasActive:
		r.demote(fmt.Sprintf("%s holds the lease now (epoch %d)", l.Holder, l.Epoch))
	case won:
		r.takeOver(l, now, fresh)
	}
}

// takeOver makes this reviver the active one: it forgets what it knew of
// the nodes (a reviver that comes back never acts on a stale view), reads
// the nodes given up on from the lease, and adopts every node still
// running or starts it.
func (r *Reviver) takeOver(l Lease, now time.Time, fresh bool) {
	r.procedure.Lock()
	defer r.procedure.Unlock()
	r.mu.Lock()
	r.active, r.epoch, r.until = true, l.Epoch, now.Add(r.cfg.LeaseTTL*5/6)
	r.running, r.gaveUp = map[string]*process{}, map[string]bool{}
	for _, id := range l.GaveUp {
		r.gaveUp[id] = true
	}
	r.mu.Unlock()
	how := "took over an expired lease"
	if fresh {
		how = "started the realm"
	}
	r.record(Event{Node: r.cfg.ID, Role: registry.RoleReviver, Kind: LeaseAcquired, Detail: fmt.Sprintf("%s (epoch %d)", how, l.Epoch)})
	select {
	case <-r.stopped:
		return
	default:
	}
	if err := r.startNodes(); err != nil {
		r.cfg.Logger.Error("reviver: take over: " + err.Error())
	}
	if p := l.Restart; p != nil && !fresh {
		if err := r.ScheduleRestart(max(time.Until(p.At), 0), p.Reason); err != nil {
			r.cfg.Logger.Error("reviver: take over the scheduled restart: " + err.Error())
		}
	}
}

// demote makes this reviver a standby: its supervisors stop, and the
// nodes are left running for the new holder.
func (r *Reviver) demote(why string) {
	r.procedure.Lock()
	defer r.procedure.Unlock()
	r.mu.Lock()
	r.active = false
	r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	r.mu.Lock()
	r.running = map[string]*process{}
	r.mu.Unlock()
	r.record(Event{Node: r.cfg.ID, Role: registry.RoleReviver, Kind: LeaseLost, Detail: why})
}

// Active reports whether this reviver holds the lease (a reviver without
// State always does).
func (r *Reviver) Active() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active
}

// Acting reports whether this reviver may act now: it holds the lease and,
// by its own clock, the lease has not run out since it last renewed it.
func (r *Reviver) Acting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active && (r.cfg.State == "" || time.Now().Before(r.until))
}

// restartable counts the nodes with a restart command.
func restartable(reg *registry.Registry) int {
	n := 0
	for _, e := range reg.Nodes {
		if len(e.Restart) > 0 {
			n++
		}
	}
	return n
}
