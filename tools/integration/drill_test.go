package integration

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/tools/reviver"
	"github.com/gridrealm/gridrealm/tools/swarm"
)

// drillTargets are the nodes a drill kills: every role whose process a
// player's path depends on, and the reviver holding the lease
// (activeReviver). A db kill is a stop-and-restore: every bot is let go
// and logs in again.
var drillTargets = []string{"DEV-GATEWAY-1", "DEV-GATEWAY-2", "DEV-ZONE-1", "DEV-REALM-1", "DEV-LOGIN-1", "DEV-DB-1", activeReviver}

// activeReviver stands for whichever reviver holds the lease: its recovery
// is the other one taking the lease over.
const activeReviver = "REVIVER"

// DrillReport is what make drill writes.
type DrillReport struct {
	DurationS float64 `json:"duration_s"`
	Bots      int     `json:"bots"`
	// Kills by node, and each node's recovery: the kill → the reviver's
	// restarted node answering its health check (for the db: the whole
	// realm started again after its stop-and-restore), ms.
	Kills    map[string]int          `json:"kills"`
	Recovery map[string]DrillLatency `json:"recovery_ms"`
	// From the swarm: bots that lost their connection and came back (and
	// how long they went without seeing themselves), and those that never
	// did.
	Reconnects   int64         `json:"reconnects"`
	Relogins     int64         `json:"logins_again"`
	ZoneRestarts int64         `json:"zone_restarts_lived"`
	BotRecovery  swarm.Latency `json:"bot_recovery"`
	// BotRecoveryBy splits it: reconnect (a gateway killed), new_welcome
	// (a zone killed), login_again (the db killed).
	BotRecoveryBy map[string]swarm.Latency `json:"bot_recovery_by"`
	NeverBack     int                      `json:"never_back"`
	BotsConnected int                      `json:"bots_connected"`
	BotsFailed    int                      `json:"bots_failed"`
	Disconnects   int                      `json:"disconnects"`
	// From `realm db dump` after the realm stopped: items, and those
	// whose owner does not exist (lost) or that appear twice
	// (duplicated).
	Items          int `json:"items"`
	ItemsOrphaned  int `json:"items_orphaned"`
	ItemsDuplicate int `json:"items_duplicated"`
	// Names: the bots ask who they see all along (swarm.Config.Names),
	// through every kill: a name told under an id of a zone's earlier
	// incarnation would contradict a bot's view (mismatched).
	Names *swarm.NamesReport `json:"names"`
}

// DrillLatency is a node's recovery times.
type DrillLatency struct {
	P50 float64 `json:"p50"`
	Max float64 `json:"max"`
}

// TestDrill is make drill: a realm under a reviver, a swarm of bots with
// Reconnect, and a SIGKILL of a random node every 10-30 s for
// GRIDREALM_DRILL (DRILL=5m in make drill). Skipped without it.
func TestDrill(t *testing.T) {
	length := os.Getenv("GRIDREALM_DRILL")
	if length == "" {
		t.Skip("make drill runs this (DRILL=5m)")
	}
	dur, err := time.ParseDuration(length)
	if err != nil || dur <= 0 {
		t.Fatalf("GRIDREALM_DRILL=%q: want a duration", length)
	}
	bots := 100
	if v := os.Getenv("GRIDREALM_DRILL_BOTS"); v != "" {
		if bots, err = strconv.Atoi(v); err != nil || bots < 1 {
			t.Fatalf("GRIDREALM_DRILL_BOTS=%q", v)
		}
	}
	r := startDevRealm(t, upBase(950), bots)
	done := make(chan *swarm.Report, 1)
	go func() {
		rep, err := swarm.Run(context.Background(), swarm.Config{Login: r.entry("DEV-LOGIN-1").Public, TLS: r.tls,
			Bots: bots, Duration: dur, Ramp: 50, Behavior: swarm.Wander, Seed: 7, Fight: true, Names: true})
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	rep := &DrillReport{DurationS: dur.Seconds(), Bots: bots, Kills: map[string]int{}, Recovery: map[string]DrillLatency{}}
	recovery := r.drillKills(t, dur, rep.Kills)
	for id, ds := range recovery {
		slices.Sort(ds)
		rep.Recovery[id] = DrillLatency{P50: ms(ds[len(ds)/2]), Max: ms(ds[len(ds)-1])}
	}
	sw := <-done
	if sw != nil {
		rep.Reconnects, rep.ZoneRestarts, rep.BotRecovery, rep.NeverBack = sw.Reconnects, sw.ZoneRestarts, sw.Recovery, sw.NeverBack
		rep.BotRecoveryBy = sw.RecoveryBy
		rep.Relogins = sw.Relogins
		rep.BotsConnected, rep.BotsFailed, rep.Disconnects = sw.Connected, sw.Failed, sw.Disconnects
		rep.Names = sw.Names
	}
	if err := r.rv.Stop(); err != nil {
		t.Error(err)
	}
	rep.Items, rep.ItemsOrphaned, rep.ItemsDuplicate = r.dumpItems(t)
	out, _ := json.MarshalIndent(rep, "", "  ")
	file := os.Getenv("GRIDREALM_DRILL_REPORT")
	if file == "" {
		file = "drill-report.json"
	}
	if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("drill report (%s):\n%s", file, out)
	if rep.NeverBack > 0 || rep.ItemsOrphaned > 0 || rep.ItemsDuplicate > 0 {
		t.Fatalf("the drill left %d bots out, %d items without owner, %d duplicated", rep.NeverBack, rep.ItemsOrphaned, rep.ItemsDuplicate)
	}
	if rep.Names == nil || rep.Names.Told == 0 || rep.Names.Mismatched > 0 {
		t.Fatalf("names through the drill: %+v: none told, or some contradicting a bot's view", rep.Names)
	}
}

// drillKills kills a random target every 10-30 s until dur has passed, and
// returns each node's recovery times.
func (r *devRealm) drillKills(t *testing.T, dur time.Duration, kills map[string]int) map[string][]time.Duration {
	rng := rand.New(rand.NewPCG(11, 13))
	recovery := map[string][]time.Duration{}
	targets := drillTargets
	if v := os.Getenv("GRIDREALM_DRILL_TARGETS"); v != "" {
		targets = strings.Split(v, ",") // a focused drill: make drill DRILL_TARGETS=DEV-DB-1
	}
	end := time.Now().Add(dur)
	for {
		wait := 10*time.Second + time.Duration(rng.Int64N(int64(20*time.Second)))
		if time.Now().Add(wait).After(end) {
			time.Sleep(time.Until(end))
			return recovery
		}
		time.Sleep(wait)
		id := targets[rng.IntN(len(targets))]
		if id == activeReviver {
			recovery[id] = append(recovery[id], r.killReviver(t))
			kills[id]++
			continue
		}
		kind := reviver.Recovered
		if id == "DEV-DB-1" {
			kind = reviver.RealmRestarted // a stop-and-restore
		}
		before := r.count(id, kind)
		killed := time.Now()
		r.kill(t, id)
		kills[id]++
		waitUntil(t, id+" to recover", 60*time.Second, func() bool { return r.count(id, kind) > before })
		recovery[id] = append(recovery[id], time.Since(killed))
		t.Logf("killed %s: healthy again after %v", id, time.Since(killed).Round(time.Millisecond))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// killReviver SIGKILLs the reviver holding the lease and waits for the
// other to take it over (launch.Revivers starts the killed one again, on
// standby); it returns how long that took.
func (r *devRealm) killReviver(t *testing.T) time.Duration {
	t.Helper()
	holder := r.rv.Holder()
	pid := r.rv.rs.PID(holder)
	if holder == "" || pid == 0 {
		t.Fatalf("no reviver holds the lease (%q, pid %d)", holder, pid)
	}
	killed := time.Now()
	syscall.Kill(pid, syscall.SIGKILL)
	waitUntil(t, "the standby reviver to take over", 30*time.Second, func() bool {
		h := r.rv.Holder()
		return h != "" && h != holder
	})
	took := time.Since(killed)
	t.Logf("killed the active reviver %s: %s took over after %v", holder, r.rv.Holder(), took.Round(time.Millisecond))
	return took
}
