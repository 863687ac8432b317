// Package metrics is a node's Prometheus registry that can say what it
// holds: every metric registered, with its type, help and labels, whether
// or not it has a series yet. A counter vector with no label values
// observed is absent from /metrics, so a scrape cannot list what a node
// may report; the catalog can (/metrics/catalog on every node's admin
// endpoint), and docs/metrics.md is made from it.
package metrics

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Registry is a prometheus.Registry that keeps the collectors registered.
type Registry struct {
	*prometheus.Registry
	mu         sync.Mutex
	collectors []prometheus.Collector
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{Registry: prometheus.NewRegistry()} }

// Register registers c, and keeps it for the catalog.
func (r *Registry) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	r.mu.Lock()
	r.collectors = append(r.collectors, c)
	r.mu.Unlock()
	return nil
}

// MustRegister registers each collector, and panics on the first that
// cannot be (a duplicate or inconsistent metric: a bug).
func (r *Registry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Unregister unregisters c, and leaves it out of the catalog.
func (r *Registry) Unregister(c prometheus.Collector) bool {
	if !r.Registry.Unregister(c) {
		return false
	}
	r.mu.Lock()
	r.collectors = slices.DeleteFunc(r.collectors, func(x prometheus.Collector) bool { return x == c })
	r.mu.Unlock()
	return true
}

// Info describes one metric.
type Info struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"` // counter, gauge, histogram, summary; untyped when it cannot be told
	Help   string   `json:"help"`
	Labels []string `json:"labels,omitempty"`
}

// Catalog returns every metric registered, by name. A metric's type is
// read from its series, or from its vector's type when it has none yet.
func (r *Registry) Catalog() []Info {
	r.mu.Lock()
	cs := slices.Clone(r.collectors)
	r.mu.Unlock()
	byName := map[string]Info{}
	for _, c := range cs {
		for _, in := range describe(c) {
			byName[in.Name] = in
		}
	}
	out := make([]Info, 0, len(byName))
	for _, in := range byName {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Handler serves the catalog as JSON.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(r.Catalog())
	})
}

// describe returns what one collector describes, each with the type its
// series have now (or its vector's).
func describe(c prometheus.Collector) []Info {
	descs := make(chan *prometheus.Desc, 64)
	go func() {
		defer close(descs)
		defer func() { recover() }() // a collector's bug: what it said so far
		c.Describe(descs)
	}()
	var out []Info
	for d := range descs {
		in, err := parseDesc(d.String())
		if err != nil {
			continue // an invalid Desc: registration refused it already
		}
		out = append(out, in)
	}
	types := map[string]string{}
	ms := make(chan prometheus.Metric, 64)
	go func() {
		defer close(ms)
		defer func() { recover() }()
		c.Collect(ms)
	}()
	for m := range ms {
		in, err := parseDesc(m.Desc().String())
		var d dto.Metric
		if err != nil || m.Write(&d) != nil {
			continue
		}
		types[in.Name] = typeOf(&d)
	}
	for i := range out {
		out[i].Type = cmp.Or(types[out[i].Name], vecType(c), typed(c, out[i].Name), "untyped")
	}
	return out
}

func typeOf(d *dto.Metric) string {
	switch {
	case d.Counter != nil:
		return "counter"
	case d.Gauge != nil:
		return "gauge"
	case d.Histogram != nil:
		return "histogram"
	case d.Summary != nil:
		return "summary"
	}
	return ""
}

// Typed is a collector of its own that says its metrics' types, which
// its series say only when it has some.
type Typed interface {
	MetricType(name string) string
}

func typed(c prometheus.Collector, name string) string {
	if t, ok := c.(Typed); ok {
		return t.MetricType(name)
	}
	return ""
}

// vecType is the type of a vector's series, which it has none of yet.
func vecType(c prometheus.Collector) string {
	switch c.(type) {
	case *prometheus.CounterVec:
		return "counter"
	case *prometheus.GaugeVec:
		return "gauge"
	case *prometheus.HistogramVec:
		return "histogram"
	case *prometheus.SummaryVec:
		return "summary"
	}
	return ""
}

// descPattern reads what prometheus.Desc.String says (its fields are not
// exported otherwise); TestDescriptionsAreRead checks it against the
// client library in use.
var descPattern = regexp.MustCompile(`^Desc\{fqName: ("(?:[^"\\]|\\.)*"), help: ("(?:[^"\\]|\\.)*"), constLabels: \{(.*)\}, variableLabels: \{(.*)\}\}$`)

func parseDesc(s string) (Info, error) {
	m := descPattern.FindStringSubmatch(s)
	if m == nil {
		return Info{}, fmt.Errorf("metrics: cannot read %q", s)
	}
	name, err := strconv.Unquote(m[1])
	if err != nil {
		return Info{}, err
	}
	help, err := strconv.Unquote(m[2])
	if err != nil {
		return Info{}, err
	}
	in := Info{Name: name, Help: help}
	if m[4] != "" {
		for _, l := range strings.Split(m[4], ",") {
			if inner, ok := strings.CutPrefix(l, "c("); ok { // a constrained label
				l = strings.TrimSuffix(inner, ")")
			}
			in.Labels = append(in.Labels, l)
		}
	}
	return in, nil
}
