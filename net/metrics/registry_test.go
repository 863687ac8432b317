package metrics

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// pair is a collector of two metrics, as a node's own collectors are.
type pair struct{ a, b *prometheus.Desc }

func (p pair) Describe(ch chan<- *prometheus.Desc) { ch <- p.a; ch <- p.b }
func (p pair) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(p.a, prometheus.GaugeValue, 1, "x")
}

// typedPair says its types, series or not.
type typedPair struct{ pair }

func (typedPair) MetricType(string) string { return "counter" }

// TestTheCatalogListsEveryMetric: the catalog lists each metric
// registered with its type, help and labels, those with no series yet
// (a vector no label value was seen of) included, and none unregistered.
func TestTheCatalogListsEveryMetric(t *testing.T) {
	r := NewRegistry()
	gone := prometheus.NewCounter(prometheus.CounterOpts{Name: "gone_total", Help: "Unregistered."})
	r.MustRegister(
		prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gr", Subsystem: "a", Name: "things_total", Help: `Things, "quoted", with {braces}, commas, and \ a backslash.`}),
		prometheus.NewCounterVec(prometheus.CounterOpts{Name: "by_reason_total", Help: "By reason."}, []string{"reason", "peer"}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "depth", Help: "Depth."}, func() float64 { return 3 }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "seen_total", Help: "Seen."}, func() float64 { return 3 }),
		prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wait_seconds", Help: "Waits."}, []string{"kind"}),
		prometheus.NewSummary(prometheus.SummaryOpts{Name: "size_bytes", Help: "Sizes."}),
		pair{a: prometheus.NewDesc("pair_a", "A.", []string{"peer"}, nil), b: prometheus.NewDesc("pair_b", "B.", nil, nil)},
		typedPair{pair{a: prometheus.NewDesc("typed_a_total", "TA.", []string{"peer"}, nil), b: prometheus.NewDesc("typed_b_total", "TB.", nil, nil)}},
		gone,
	)
	if !r.Unregister(gone) {
		t.Fatal("not unregistered")
	}
	if err := r.Register(prometheus.NewGauge(prometheus.GaugeOpts{Name: "depth", Help: "Again."})); err == nil {
		t.Fatal("a duplicate registered")
	}
	want := []Info{
		{Name: "by_reason_total", Type: "counter", Help: "By reason.", Labels: []string{"reason", "peer"}},
		{Name: "depth", Type: "gauge", Help: "Depth."},
		{Name: "gr_a_things_total", Type: "counter", Help: `Things, "quoted", with {braces}, commas, and \ a backslash.`},
		{Name: "pair_a", Type: "gauge", Help: "A.", Labels: []string{"peer"}},
		{Name: "pair_b", Type: "untyped", Help: "B."}, // no series, and no vector to say
		{Name: "seen_total", Type: "counter", Help: "Seen."},
		{Name: "size_bytes", Type: "summary", Help: "Sizes."},
		{Name: "typed_a_total", Type: "gauge", Help: "TA.", Labels: []string{"peer"}}, // its series says so
		{Name: "typed_b_total", Type: "counter", Help: "TB."},
		{Name: "wait_seconds", Type: "histogram", Help: "Waits.", Labels: []string{"kind"}},
	}
	got := r.Catalog()
	if !slices.EqualFunc(got, want, func(a, b Info) bool {
		return a.Name == b.Name && a.Type == b.Type && a.Help == b.Help && slices.Equal(a.Labels, b.Labels)
	}) {
		t.Fatalf("catalog:\n got %+v\nwant %+v", got, want)
	}
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics/catalog", nil))
	var served []Info
	if err := json.Unmarshal(rec.Body.Bytes(), &served); err != nil || len(served) != len(want) {
		t.Fatalf("served %d (%v): %s", len(served), err, rec.Body.String())
	}
}

// TestDescriptionsAreRead: the catalog reads prometheus.Desc's String,
// whose form the client library could change; a constrained label reads
// as its name.
func TestDescriptionsAreRead(t *testing.T) {
	d := prometheus.V2.NewDesc("n", "h", prometheus.ConstrainedLabels{{Name: "a", Constraint: func(s string) string { return s }}, {Name: "b"}},
		prometheus.Labels{"c": "d"})
	in, err := parseDesc(d.String())
	if err != nil || in.Name != "n" || in.Help != "h" || !slices.Equal(in.Labels, []string{"a", "b"}) {
		t.Fatalf("%q read as %+v, %v", d.String(), in, err)
	}
	if _, err := parseDesc("Desc{something else}"); err == nil {
		t.Fatal("an unknown form read")
	}
}
