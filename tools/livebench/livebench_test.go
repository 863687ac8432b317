package livebench

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestProcCPUReadsThisProcess(t *testing.T) {
	before, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := procCPU(os.Getpid())
	if err != nil || after < before {
		t.Fatalf("%v then %v: %v", before, after, err)
	}
	if _, err := procCPU(1 << 30); err == nil {
		t.Fatal("a process that does not exist was read")
	}
}

func TestUDPSendFloor(t *testing.T) {
	us, err := udpSendFloor(2000)
	if err != nil || us <= 0 || us > 1000 {
		t.Fatalf("%v µs a send: %v", us, err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{{}, {Bin: "realm", Players: 10, Scenario: "moon"}, {Bin: "realm", Scenario: Crowd}} {
		if _, err := Run(t.Context(), c); err == nil {
			t.Errorf("%+v ran", c)
		}
	}
	// Refused before any realm starts, naming the flag.
	c := Config{Bin: "realm", Players: 10, Scenario: Crowd, MaxVisible: -1}
	if _, err := Run(t.Context(), c); err == nil || !strings.Contains(err.Error(), "--max-visible") {
		t.Errorf("a negative bound: %v", err)
	}
}

// TestReadCountersWantsEveryCounter: the named counters are read by name
// from Prometheus' text format (a counter and a counter read at scrape
// time); one that is missing, or labelled, is an error, not a 0.
func TestReadCountersWantsEveryCounter(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := prometheus.NewCounter(prometheus.CounterOpts{Name: "a_total", Help: "a"})
	a.Add(3)
	b := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "b_total", Help: "b"}, func() float64 { return 7 })
	l := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "l_total", Help: "l"}, []string{"kind"})
	l.WithLabelValues("x").Inc()
	l.WithLabelValues("y").Inc()
	reg.MustRegister(a, b, l)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	c, err := readCounters(srv.URL, []string{"a_total", "b_total"})
	if err != nil || c["a_total"] != 3 || c["b_total"] != 7 {
		t.Fatalf("read %v, %v; want a_total 3, b_total 7", c, err)
	}
	for _, bad := range []string{"gone_total", "l_total"} {
		if _, err := readCounters(srv.URL, []string{"a_total", bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("%s: %v, want an error naming it", bad, err)
		}
	}
}
