package reviver

import (
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// pair starts reviver id over the registry with the shared state dir and
// a short lease.
func pair(t *testing.T, id, state string, reg *registry.Registry) (*Reviver, *recorder) {
	t.Helper()
	return start(t, Config{Registry: reg, State: state, ID: id, LeaseTTL: 600 * time.Millisecond})
}

// vanish makes a reviver stop as a crashed one does, as far as the others
// can tell: it no longer renews its lease nor watches its nodes, and
// leaves both as they are. (tools/integration kills real reviver
// processes.)
func (r *Reviver) vanish() {
	r.stopOnce.Do(func() { close(r.stopped) })
	r.procedure.Lock()
	defer r.procedure.Unlock()
	r.mu.Lock()
	r.active = false
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

func pidOf(t *testing.T, state, id string) int {
	t.Helper()
	pid, start, err := ReadPIDFile(state, id)
	if err != nil || !Alive(pid, start) {
		t.Fatalf("%s: pid %d: %v", id, pid, err)
	}
	return pid
}

// TestStandbyTakesOver: of two revivers sharing a state directory one
// acts and the other stands by; when the active one is gone the standby
// takes the lease, adopts the nodes where they run (no restart), and
// restarts one that dies afterwards.
func TestStandbyTakesOver(t *testing.T) {
	state := t.TempDir()
	reg := &registry.Registry{Nodes: []registry.Entry{helperNode(t, "GW-1", "serve"), helperNode(t, "GW-2", "serve")}}
	a, recA := pair(t, "A", state, reg)
	b, recB := pair(t, "B", state, reg)
	if !a.Active() || b.Active() {
		t.Fatalf("A active %v, B active %v: want only A", a.Active(), b.Active())
	}
	gw1, gw2 := pidOf(t, state, "GW-1"), pidOf(t, state, "GW-2")
	waitFor(t, "the nodes to be healthy", 5*time.Second, func() bool {
		return a.healthy(reg.Nodes[0].Admin) == nil && a.healthy(reg.Nodes[1].Admin) == nil
	})
	time.Sleep(time.Second) // more than a lease: B must not act meanwhile
	if b.Active() || len(b.Events()) != 0 {
		t.Fatalf("the standby acted: %+v", b.Events())
	}
	a.vanish()
	gone := time.Now()
	waitFor(t, "B to take over", 3*time.Second, func() bool {
		return recB.count("GW-1", Adopted)+recB.count("GW-2", Adopted) == 2
	})
	t.Logf("B took over %v after A was gone (lease 600 ms)", time.Since(gone).Round(time.Millisecond))
	if recB.count("GW-1", Adopted) != 1 || recB.count("GW-2", Adopted) != 1 || recB.count("B", LeaseAcquired) != 1 {
		t.Fatalf("B's events: %+v", b.Events())
	}
	if pidOf(t, state, "GW-1") != gw1 || pidOf(t, state, "GW-2") != gw2 {
		t.Fatal("a node was restarted by the takeover")
	}
	if l, _ := ReadLease(state); l.Holder != "B" || l.Epoch != 2 {
		t.Fatalf("lease %+v, want B at epoch 2", l)
	}
	syscall.Kill(gw1, syscall.SIGKILL)
	waitFor(t, "B to restart GW-1", 5*time.Second, func() bool { return recB.count("GW-1", Recovered) == 1 })
	if recA.count("GW-1", Crashed) != 0 {
		t.Fatal("the vanished reviver saw the crash")
	}
	now := pidOf(t, state, "GW-1")
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{now, gw2} {
		if Alive(pid, 0) {
			t.Fatalf("pid %d still runs after Stop", pid)
		}
	}
}

// TestStoppedRealmStaysStopped: when the active reviver stops the realm on
// purpose, the standby does not start it again; a reviver started later
// does.
func TestStoppedRealmStaysStopped(t *testing.T) {
	state := t.TempDir()
	reg := &registry.Registry{Nodes: []registry.Entry{helperNode(t, "GW-1", "serve")}}
	a, _ := pair(t, "A", state, reg)
	b, recB := pair(t, "B", state, reg)
	first := pidOf(t, state, "GW-1")
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if b.Active() || recB.count("GW-1", Started) != 0 || Alive(first, 0) {
		t.Fatalf("B active %v, events %+v", b.Active(), b.Events())
	}
	c, recC := pair(t, "C", state, reg)
	if !c.Active() || recC.count("GW-1", Started) != 1 {
		t.Fatalf("a new reviver did not start the realm: %+v", c.Events())
	}
}

// TestGaveUpAndScheduleSurviveATakeover: the next holder leaves a node
// given up on stopped, and carries on the countdown of a scheduled
// restart.
func TestGaveUpAndScheduleSurviveATakeover(t *testing.T) {
	state := t.TempDir()
	broken := registry.Entry{ID: "BROKEN-1", Role: registry.RoleZone, Restart: []string{"/bin/sh", "-c", "exit 3"}}
	reg := &registry.Registry{Nodes: []registry.Entry{helperNode(t, "GW-1", "serve"), broken}}
	a, _ := start(t, Config{Registry: reg, State: state, ID: "A", LeaseTTL: 600 * time.Millisecond, CycleLimit: 2})
	b, recB := pair(t, "B", state, reg)
	waitFor(t, "A to give up", 5*time.Second, func() bool { return a.GaveUp("BROKEN-1") })
	if err := a.ScheduleRestart(time.Hour, "a test"); err != nil {
		t.Fatal(err)
	}
	a.vanish()
	waitFor(t, "B to take over the schedule", 3*time.Second, func() bool { _, _, ok := b.Scheduled(); return ok })
	if !b.GaveUp("BROKEN-1") || recB.count("BROKEN-1", Started) != 0 {
		t.Fatalf("B's events: %+v", b.Events())
	}
	if at, reason, ok := b.Scheduled(); !ok || reason != "a test" || time.Until(at) < 59*time.Minute {
		t.Fatalf("B's scheduled restart: %v %q %v", at, reason, ok)
	}
}
