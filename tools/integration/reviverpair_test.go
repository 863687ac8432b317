package integration

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/launch"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// TestStandbyReviverTakesOver runs a dev realm under its two revivers, each
// a `realm reviver` process, as realm up does. SIGKILL the active one: the
// standby takes the lease within a few seconds, adopts every node where it
// runs, and restarts a gateway SIGKILLed next. Then the first one, back as
// the standby, takes over from the second while that one is frozen
// (SIGSTOP); woken, the frozen one finds its lease gone and acts on
// nothing: a gateway killed then is restarted exactly once.
func TestStandbyReviverTakesOver(t *testing.T) {
	dir := t.TempDir()
	reg, path, err := launch.LoadOrCreate(dir, realmBin, upBase(400))
	if err != nil {
		t.Fatal(err)
	}
	for i := range reg.Nodes {
		if len(reg.Nodes[i].Restart) > 0 {
			reg.Nodes[i].Restart = append(reg.Nodes[i].Restart, "--log", "warn")
		}
	}
	if err := reg.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pquic.LoadOrCreateDevCert(dir); err != nil { // as realm up does, before the nodes start
		t.Fatal(err)
	}
	out := &syncWriter{}
	rs, err := launch.StartRevivers(realmBin, path, reg, out)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			rs.Stop()
		}
		if t.Failed() {
			t.Logf("the revivers' and nodes' output:\n%s", out.String())
		}
	})
	pids, err := rs.NodePIDs(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range reg.Nodes {
		if len(e.Restart) > 0 {
			if err := waitHealthy("http://" + e.Admin + "/healthz"); err != nil {
				t.Fatal(err)
			}
		}
	}
	first := holder(t, rs)

	// The active reviver dies: the standby takes over and adopts.
	if err := syscall.Kill(rs.PID(first.Holder), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	var second reviver.Lease
	waitUntil(t, "the standby to take the lease", 10*time.Second, func() bool {
		second = holder(t, rs)
		return second.Holder != "" && second.Holder != first.Holder
	})
	t.Logf("%s took over %v after %s was SIGKILLed (lease %v)", second.Holder, time.Since(killed).Round(10*time.Millisecond), first.Holder, reviver.DefaultLeaseTTL)
	if second.Epoch != first.Epoch+1 {
		t.Fatalf("epoch %d after %d", second.Epoch, first.Epoch)
	}
	waitUntil(t, "every node to be adopted", 5*time.Second, func() bool {
		return countEvents(t, reg, second.Holder, "", reviver.Adopted) == len(pids)
	})
	for id, pid := range pids {
		if now, _, _ := reviver.ReadPIDFile(rs.State(), id); now != pid {
			t.Fatalf("%s was restarted by the takeover (pid %d, then %d)", id, pid, now)
		}
	}

	// Then a gateway dies: the new holder restarts it.
	gwKilled := killNode(t, rs, "DEV-GATEWAY-1")
	waitUntil(t, "the gateway to be restarted", 10*time.Second, func() bool {
		return countEvents(t, reg, second.Holder, "DEV-GATEWAY-1", reviver.Recovered) == 1
	})
	t.Logf("DEV-GATEWAY-1 healthy again %v after its kill", time.Since(gwKilled).Round(10*time.Millisecond))

	// The first reviver is back (launch.Revivers restarts it) on standby.
	waitUntil(t, "the first reviver to be back", 10*time.Second, func() bool { return rs.PID(first.Holder) != 0 })
	time.Sleep(500 * time.Millisecond) // it has read the lease
	frozen := rs.PID(second.Holder)
	syscall.Kill(frozen, syscall.SIGSTOP)
	var third reviver.Lease
	waitUntil(t, "the first reviver to take over from the frozen one", 10*time.Second, func() bool {
		third = holder(t, rs)
		return third.Holder == first.Holder
	})
	syscall.Kill(frozen, syscall.SIGCONT)
	waitUntil(t, "the woken reviver to see it lost the lease", 5*time.Second, func() bool {
		return countEvents(t, reg, second.Holder, "", reviver.LeaseLost) == 1
	})
	// Killed before the new holder adopted it, the gateway would be started
	// afresh (no Recovered event): wait for the adoptions to end first.
	waitUntil(t, "every node to be adopted again", 5*time.Second, func() bool {
		return countEvents(t, reg, third.Holder, "", reviver.Adopted) == len(pids)
	})
	killNode(t, rs, "DEV-GATEWAY-2")
	waitUntil(t, "the gateway to be restarted", 10*time.Second, func() bool {
		return countEvents(t, reg, third.Holder, "DEV-GATEWAY-2", reviver.Recovered) == 1
	})
	time.Sleep(time.Second)
	if n := countEvents(t, reg, second.Holder, "DEV-GATEWAY-2", reviver.Restarted); n != 0 {
		t.Fatalf("the reviver that had lost its lease restarted the gateway too (%d times)", n)
	}

	stopped = true
	if err := rs.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, e := range reg.Nodes {
		if pid, start, err := reviver.ReadPIDFile(rs.State(), e.ID); err == nil && reviver.Alive(pid, start) {
			t.Fatalf("%s (pid %d) runs after the revivers stopped", e.ID, pid)
		}
	}
	if l := holder(t, rs); l.Holder != "" || l.Stopped.IsZero() {
		t.Fatalf("lease after the stop: %+v", l)
	}
}

func holder(t *testing.T, rs *launch.Revivers) reviver.Lease {
	t.Helper()
	l, err := reviver.ReadLease(rs.State())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// killNode SIGKILLs a node's process as recorded in the revivers' state.
func killNode(t *testing.T, rs *launch.Revivers, id string) time.Time {
	t.Helper()
	pid, start, err := reviver.ReadPIDFile(rs.State(), id)
	if err != nil || !reviver.Alive(pid, start) {
		t.Fatalf("%s: %v", id, err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	return time.Now()
}

// countEvents counts a reviver's events of a kind (about node, unless "")
// from its /events.
func countEvents(t *testing.T, reg *registry.Registry, reviverID, node string, kind reviver.EventKind) int {
	t.Helper()
	e, _ := reg.Node(reviverID)
	resp, err := http.Get("http://" + e.Admin + "/events")
	if err != nil {
		return -1 // not answering (frozen, or starting)
	}
	defer resp.Body.Close()
	var events []reviver.Event
	json.NewDecoder(resp.Body).Decode(&events)
	n := 0
	for _, ev := range events {
		if ev.Kind == kind && (node == "" || ev.Node == node) {
			n++
		}
	}
	return n
}
