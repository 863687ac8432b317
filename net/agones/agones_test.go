package agones_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/agones"
	"github.com/gridrealm/gridrealm/net/agones/agonestest"
)

// TestLifecycleAgainstTheSidecar: the calls a zone makes, in its order,
// reach the sidecar as the REST API wants them.
func TestLifecycleAgainstTheSidecar(t *testing.T) {
	sc := agonestest.Start()
	defer sc.Close()
	t.Setenv(agones.PortEnv, sc.Port())
	life, err := agones.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := life.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if err := life.SetLabel(ctx, "zone", "DEV-ZONE-1"); err != nil {
		t.Fatal(err)
	}
	hctx, stop := context.WithTimeout(ctx, 120*time.Millisecond)
	agones.KeepHealthy(hctx, life, 20*time.Millisecond, func() bool { return true })
	stop()
	if err := life.Allocate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := life.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	calls := strings.Join(sc.Calls(), ",")
	if !strings.HasPrefix(calls, "ready,label zone=DEV-ZONE-1,health,health") || !strings.HasSuffix(calls, "health,allocate,shutdown") {
		t.Fatalf("calls %s", calls)
	}
}

func TestStalledLoopSendsNoHealth(t *testing.T) {
	sc := agonestest.Start()
	defer sc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	agones.KeepHealthy(ctx, agones.New(sc.URL()), 10*time.Millisecond, func() bool { return false })
	if calls := sc.Calls(); len(calls) != 0 {
		t.Fatalf("a stalled server pinged: %v", calls)
	}
}

// TestCallsWaitForALateSidecar: the sidecar may start after the server;
// a call tries again until it answers, or until its context ends.
func TestCallsWaitForALateSidecar(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens yet
	sdk := agones.New("http://" + addr)
	sdk.Retry = 20 * time.Millisecond
	sc := agonestest.Start()
	defer sc.Close()
	go func() {
		time.Sleep(150 * time.Millisecond)
		// The sidecar comes up at the address the server was told.
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return
		}
		proxy := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			resp, err := http.DefaultClient.Do(must(http.NewRequest(r.Method, sc.URL()+r.URL.Path, r.Body)))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			w.WriteHeader(resp.StatusCode)
			resp.Body.Close()
		})}
		go proxy.Serve(l)
		t.Cleanup(func() { proxy.Close() })
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sdk.Ready(ctx); err != nil {
		t.Fatalf("ready with a late sidecar: %v", err)
	}
	sc.FailNext(2) // a sidecar answering 503 is retried too
	if err := sdk.Health(ctx); err != nil {
		t.Fatalf("health through two 503s: %v", err)
	}
	if calls := strings.Join(sc.Calls(), ","); calls != "ready,health" {
		t.Fatalf("calls %s", calls)
	}
	short, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	if err := agones.New("http://" + freeAddr(t)).Ready(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ready without a sidecar: %v, want the context's deadline", err)
	}
}

// TestRefusalsAreFinal: a 4xx is not retried.
func TestRefusalsAreFinal(t *testing.T) {
	sc := agonestest.Start()
	defer sc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := agones.New(sc.URL()).SetLabel(ctx, "", "x")
	if !errors.Is(err, agones.ErrRefused) || !strings.Contains(err.Error(), "400") {
		t.Fatalf("label without a key: %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(agones.PortEnv, "")
	if l, err := agones.FromEnv(); err != nil || l != (agones.None{}) {
		t.Fatalf("without Agones: %T %v", l, err)
	}
	for _, bad := range []string{"x", "0", "70000"} {
		t.Setenv(agones.PortEnv, bad)
		if _, err := agones.FromEnv(); err == nil {
			t.Fatalf("%s=%s accepted", agones.PortEnv, bad)
		}
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
