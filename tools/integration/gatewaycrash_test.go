package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/launch"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// devRealm is a dev realm's nodes run as separate `realm` processes from
// the registry realm up would write, under a reviver run by the test: a
// test kills a node's process and the reviver starts it again.
type devRealm struct {
	reg *registry.Registry
	dir string
	rv  *reviver.Reviver
}

func startDevRealm(t *testing.T, base, accounts int) *devRealm {
	t.Helper()
	dir := t.TempDir()
	reg, _, err := launch.LoadOrCreate(dir, realmBin, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pquic.LoadOrCreateDevCert(dir); err != nil {
		t.Fatal(err)
	}
	if err := launch.DevAccounts(reg, accounts); err != nil {
		t.Fatal(err)
	}
	for i := range reg.Nodes {
		if len(reg.Nodes[i].Restart) > 0 {
			reg.Nodes[i].Restart = append(reg.Nodes[i].Restart, "--log", "warn")
		}
	}
	out := &syncWriter{}
	admin := ""
	if e, ok := reg.Node("DEV-REVIVER-1"); ok {
		admin = e.Admin
	}
	rv, err := reviver.Start(reviver.Config{Registry: reg, Out: out, Logger: quiet(), Admin: admin,
		CheckEvery: 100 * time.Millisecond, DeadAfter: time.Second, BackoffMin: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rv.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("the realm's output:\n%s", out.String())
			for _, e := range rv.Events() {
				t.Log(e)
			}
		}
	})
	r := &devRealm{reg: reg, dir: dir, rv: rv}
	for _, e := range reg.Nodes {
		if len(e.Restart) == 0 {
			continue // the reviver entry: the test runs it
		}
		if err := waitHealthy("http://" + e.Admin + "/healthz"); err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
	}
	return r
}

// kill SIGKILLs a node's process; the reviver will start it again.
func (r *devRealm) kill(t *testing.T, id string) {
	t.Helper()
	pid := r.rv.Running()[id]
	if pid == 0 {
		t.Fatalf("%s is not running", id)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// restarted waits until the reviver has started a node again after a kill
// and it answers its health check.
func (r *devRealm) restarted(t *testing.T, id string, times int) {
	t.Helper()
	waitUntil(t, id+" to be restarted", 15*time.Second, func() bool {
		n := 0
		for _, e := range r.rv.Events() {
			if e.Node == id && e.Kind == reviver.Recovered {
				n++
			}
		}
		return n >= times
	})
}

func (r *devRealm) entry(id string) registry.Entry {
	for _, e := range r.reg.Nodes {
		if e.ID == id {
			return e
		}
	}
	panic("no node " + id)
}

// metric reads one unlabelled metric from a node's /metrics.
func (r *devRealm) metric(t *testing.T, id, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + r.entry(id).Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	t.Fatalf("%s has no metric %s", id, name)
	return 0
}

// TestGatewayCrashPlayersComeBack: the gateway processes of a realm serve
// bots connected through the client library with Reconnect on. A gateway
// is SIGKILLed (and the reviver starts it again); each of its bots notices
// within DeadAfter, comes back through a gateway with its resume token (no
// new login; the other gateway may redirect it to the restarted one, the
// least loaded), and sees itself again where it stood: the zone kept it,
// or saved it when the gateway's new incarnation showed the old one gone
// and loaded it again. No one is
// left behind, nobody is in the zone twice, and the other gateway's bots
// never noticed.
func TestGatewayCrashPlayersComeBack(t *testing.T) {
	const bots = 8
	r := startDevRealm(t, upBase(700), bots)
	certPEM, err := os.ReadFile(filepath.Join(r.dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tlsConf, _ := pquic.ClientTLS(certPEM)
	var mu sync.Mutex
	back := map[int]client.ReconnectEvent{}
	var conns []*client.Conn
	for i := 0; i < bots; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := loginRetrying(ctx, r.entry("DEV-LOGIN-1").Public, tlsConf, fmt.Sprintf("bot%d", i))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		i := i
		conn, err := client.ConnectWith(ctx, res.Gateways[0], tlsConf, res.SessionHandle, client.Options{
			Reconnect: true, Gateways: res.Gateways,
			OnReconnect: func(ev client.ReconnectEvent) {
				mu.Lock()
				back[i] = ev
				mu.Unlock()
			}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conns = append(conns, conn)
	}
	sees := func(c *client.Conn) bool {
		seen := false
		id := c.Welcomed().EntityID
		c.View(func(w *client.World) { _, seen = w.Entity(id) })
		return seen
	}
	waitUntil(t, "every bot to see itself", 10*time.Second, func() bool {
		for _, c := range conns {
			if !sees(c) {
				return false
			}
		}
		return true
	})
	victim := r.entry("DEV-GATEWAY-1").Public
	var onVictim []int
	before := map[int][2]float64{}
	for i, c := range conns {
		x, y, _ := selfAt(c)
		before[i] = [2]float64{x, y}
		if c.Gateway() == victim {
			onVictim = append(onVictim, i)
		}
	}
	if len(onVictim) == 0 || len(onVictim) == bots {
		t.Fatalf("%d of %d bots on the victim: the gateways did not share them", len(onVictim), bots)
	}

	defer func() {
		if t.Failed() {
			for _, i := range onVictim {
				mu.Lock()
				ev := back[i]
				mu.Unlock()
				t.Logf("bot %d: %+v err %v gateway %s sees %v event %+v", i, conns[i].Counters(), conns[i].Err(), conns[i].Gateway(), sees(conns[i]), ev)
			}
		}
	}()
	killed := time.Now()
	r.kill(t, "DEV-GATEWAY-1")
	recovered := map[int]time.Duration{}
	waitUntil(t, "the victim's bots to be back", 15*time.Second, func() bool {
		for _, i := range onVictim {
			if _, ok := recovered[i]; !ok && conns[i].Counters().Reconnects == 1 && sees(conns[i]) {
				recovered[i] = time.Since(killed)
			}
		}
		return len(recovered) == len(onVictim)
	})
	var worst time.Duration
	for _, d := range recovered {
		worst = max(worst, d)
	}
	t.Logf("%d bots back, the slowest %v after the kill", len(recovered), worst)
	// DESIGN's target is 2 s; the bound leaves room for -race on a shared
	// two-core machine (make drill measures the real figure).
	if worst > 3*time.Second {
		t.Fatalf("the slowest bot was back %v after the kill", worst)
	}
	for _, i := range onVictim {
		c := conns[i]
		// Kept by the zone, or saved when its gateway was found gone and
		// loaded again: either way where it stood (the bots stand still).
		if x, y, _ := selfAt(c); math.Hypot(x-before[i][0], y-before[i][1]) > 1 {
			t.Errorf("bot %d: back at (%.1f, %.1f), was at (%.1f, %.1f)", i, x, y, before[i][0], before[i][1])
		}
		mu.Lock()
		ev := back[i]
		mu.Unlock()
		if !ev.Back {
			t.Errorf("bot %d was not told it came back: %+v", i, ev)
		}
	}
	for i, c := range conns {
		if !containsInt(onVictim, i) && c.Counters().Reconnects != 0 {
			t.Errorf("bot %d of the surviving gateway reconnected", i)
		}
	}
	// After the gateway grace, the zone holds every bot once: no ghost of
	// the dead gateway, no second entity.
	time.Sleep(2500 * time.Millisecond)
	if n := r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players"); n != bots {
		t.Fatalf("the zone holds %v players, want %d", n, bots)
	}
}

// loginRetrying logs in as a dev account, retrying while the login node
// is starting or busy.
func loginRetrying(ctx context.Context, addr string, tlsConf *tls.Config, account string) (codec.LoginResult, error) {
	for {
		res, err := client.Login(ctx, addr, tlsConf, account, "bot", launch.DevRealm)
		if err == nil {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("login %s: %w", account, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

// selfAt returns where a bot sees itself, if it does.
func selfAt(c *client.Conn) (x, y float64, ok bool) {
	id := c.Welcomed().EntityID
	c.View(func(w *client.World) {
		var e client.Entity
		if e, ok = w.Entity(id); ok {
			x, y = e.X, e.Y
		}
	})
	return x, y, ok
}
