package reviver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// The test binary doubles as a node: run with GRIDREALM_REVIVER_NODE set,
// it serves /healthz on the address given (healthy, or healthy for a
// while and then failing) until it is killed.
func TestMain(m *testing.M) {
	if mode := os.Getenv("GRIDREALM_REVIVER_NODE"); mode != "" {
		serveNode(mode, os.Args[len(os.Args)-1])
		return
	}
	os.Exit(m.Run())
}

func serveNode(mode, addr string) {
	start := time.Now()
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if mode == "hang" && time.Since(start) > 500*time.Millisecond {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// helperNode is a registry entry whose restart command runs this test
// binary as a node in mode (see TestMain).
func helperNode(t *testing.T, id, mode string) registry.Entry {
	t.Helper()
	admin := freeAddr(t)
	return registry.Entry{ID: id, Role: registry.RoleGateway, Admin: admin,
		Restart: []string{"/usr/bin/env", "GRIDREALM_REVIVER_NODE=" + mode, os.Args[0], "-test.run=^$", admin}}
}

// recorder keeps the events it hears.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) on(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) count(node string, kind EventKind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Node == node && e.Kind == kind {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func start(t *testing.T, cfg Config) (*Reviver, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg.OnEvent = rec.on
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.BackoffMin, cfg.BackoffMax = 20*time.Millisecond, 100*time.Millisecond
	cfg.CheckEvery, cfg.DeadAfter, cfg.StopGrace = 50*time.Millisecond, 400*time.Millisecond, 2*time.Second
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop() })
	return r, rec
}

// TestKilledNodeIsRestarted: a node SIGKILLed is seen to crash, started
// again with its restart command, and reported healthy again.
func TestKilledNodeIsRestarted(t *testing.T) {
	node := helperNode(t, "GW-1", "serve")
	r, rec := start(t, Config{Registry: &registry.Registry{Nodes: []registry.Entry{node}}, Admin: "127.0.0.1:0"})
	first := r.Running()["GW-1"]
	waitFor(t, "the node to be healthy", 5*time.Second, func() bool { return r.healthy(node.Admin) == nil })
	syscall.Kill(first, syscall.SIGKILL)
	waitFor(t, "the node to be back", 10*time.Second, func() bool { return rec.count("GW-1", Recovered) == 1 })
	if rec.count("GW-1", Crashed) != 1 || rec.count("GW-1", Restarted) != 1 {
		t.Fatalf("events: %+v", r.Events())
	}
	if now := r.Running()["GW-1"]; now == 0 || now == first || syscall.Kill(now, 0) != nil {
		t.Fatalf("running pid %d after the restart (was %d)", now, first)
	}
	resp, err := http.Get("http://" + r.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `gridrealm_reviver_events_total{event="restarted",node="GW-1",role="gateway"} 1`) {
		t.Fatalf("restart not counted:\n%s", body)
	}
}

// TestHungNodeIsReplaced: a node whose process runs but whose health check
// fails for DeadAfter is killed and started again.
func TestHungNodeIsReplaced(t *testing.T) {
	node := helperNode(t, "ZONE-1", "hang")
	r, rec := start(t, Config{Registry: &registry.Registry{Nodes: []registry.Entry{node}}, CycleLimit: 100})
	waitFor(t, "the hung node to be restarted", 10*time.Second, func() bool { return rec.count("ZONE-1", Restarted) >= 1 })
	for _, e := range r.Events() {
		if e.Kind == Crashed && !strings.Contains(e.Detail, "not answering its health check") {
			t.Fatalf("crash detail %q", e.Detail)
		}
	}
}

// TestRestartCycleGivesUp: a node that fails at start every time is given
// up on after CycleLimit crashes, reported, and the other nodes run on.
func TestRestartCycleGivesUp(t *testing.T) {
	healthy := helperNode(t, "GW-1", "serve")
	broken := registry.Entry{ID: "BROKEN-1", Role: registry.RoleZone, Restart: []string{"/bin/sh", "-c", "exit 3"}}
	r, rec := start(t, Config{Registry: &registry.Registry{Nodes: []registry.Entry{healthy, broken}}, CycleLimit: 3, CycleWindow: 10 * time.Second})
	waitFor(t, "the reviver to give up", 10*time.Second, func() bool { return r.GaveUp("BROKEN-1") })
	if n := rec.count("BROKEN-1", Crashed); n != 3 {
		t.Fatalf("%d crashes before giving up, want 3", n)
	}
	time.Sleep(300 * time.Millisecond)
	if n := rec.count("BROKEN-1", Restarted); n != 2 {
		t.Fatalf("%d restarts after giving up began, want 2", n)
	}
	if rec.count("GW-1", Crashed) != 0 || r.Running()["GW-1"] == 0 {
		t.Fatal("the healthy node suffered from the broken one")
	}
}

// TestStopLeavesNothingRunning: Stop ends every node it started.
func TestStopLeavesNothingRunning(t *testing.T) {
	a, b := helperNode(t, "A", "serve"), helperNode(t, "B", "serve")
	r, _ := start(t, Config{Registry: &registry.Registry{Nodes: []registry.Entry{a, b}}})
	pids := r.Running()
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	for id, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Fatalf("%s (pid %d) still runs", id, pid)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Registry: &registry.Registry{}, CycleLimit: -1},
		{Registry: &registry.Registry{}, BackoffMin: time.Second, BackoffMax: time.Millisecond},
		{Registry: &registry.Registry{}}, // no node to keep running
	} {
		if _, err := Start(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

func TestNextDaily(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, tc := range []struct{ now, want string }{
		{"2026-11-30T01:00:00Z", "2026-11-30T04:00:00Z"},
		{"2026-11-30T03:40:00Z", "2026-12-01T04:00:00Z"}, // its countdown would have begun
		{"2026-11-30T05:00:00Z", "2026-12-01T04:00:00Z"},
		{"2026-12-31T23:00:00Z", "2027-01-01T04:00:00Z"},
	} {
		if got := nextDaily(at(tc.now), 4, 0); !got.Equal(at(tc.want)) {
			t.Errorf("at %s: next %s, want %s", tc.now, got, tc.want)
		}
	}
}
