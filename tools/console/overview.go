package console

import (
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
)

// Overview is what the page shows of the cluster at one moment.
type Overview struct {
	Nodes  []NodeState           `json:"nodes"`
	Realms map[string]*RealmView `json:"realms"`
	Events any                   `json:"events"`
}

// NodeState is one node of the registry as its /healthz and the
// reviver's events say.
type NodeState struct {
	ID       string  `json:"id"`
	Role     string  `json:"role"`
	Realm    string  `json:"realm"`
	Host     string  `json:"host"`
	Healthy  bool    `json:"healthy"`
	Status   string  `json:"status"`
	UptimeS  float64 `json:"uptime_s"`
	Restarts int     `json:"restarts"`
	LinkTLS  bool    `json:"link_tls"`
	// CPUCores is the process's CPU over the last seconds, in cores
	// (cost.go; absent until two readings a second apart).
	CPUCores *float64 `json:"cpu_cores,omitempty"`
}

// RealmView is one realm's players, gateways and zones.
type RealmView struct {
	Players  float64       `json:"players"`
	Gateways []GatewayView `json:"gateways"`
	Zones    []ZoneView    `json:"zones"`
}

// GatewayView is a gateway's load from its metrics (counters are totals:
// the page turns them into rates), and what its players cost it over the
// last seconds (cost.go).
type GatewayView struct {
	ID            string             `json:"id"`
	Players       float64            `json:"players"`
	SnapshotBytes float64            `json:"snapshot_bytes_total"`
	Corrections   float64            `json:"corrections_total"`
	Disconnects   map[string]float64 `json:"disconnects_total"`
	// Full: the gateway takes no new player (its lateness, its players
	// behind their snapshots, the machine's CPU, or its cap).
	Full bool `json:"full"`
	// BehindP90Ms is how far behind their snapshots its players are, 90th
	// percentile, beyond their path's least round trip.
	BehindP90Ms float64 `json:"behind_p90_ms"`
	// CPUCores is the CPU it used over CostSpanS seconds, in cores;
	// CPUUsPerPlayerTick the same per player per zone tick (0: no player
	// ticks in the span). Both absent until two readings a second apart.
	CPUCores           *float64 `json:"cpu_cores,omitempty"`
	CPUUsPerPlayerTick *float64 `json:"cpu_us_per_player_tick,omitempty"`
	CostSpanS          float64  `json:"cost_span_s,omitempty"`
}

// ZoneView is a zone's tick and population from its metrics.
type ZoneView struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"` // what players are told it is called (gridrealm_zone_info)
	TickP99Ms float64 `json:"tick_p99_ms"`
	Dilation  float64 `json:"dilation"`
	Entities  float64 `json:"entities"`
	Players   float64 `json:"players"`
}

func (c *server) overview(w http.ResponseWriter, _ *http.Request) {
	nodes := c.cfg.Registry.Nodes
	states := make([]NodeState, len(nodes))
	metrics := make([]map[string]*dto.MetricFamily, len(nodes))
	read := make([]time.Time, len(nodes)) // when each node's metrics were read
	var wg sync.WaitGroup
	for i, e := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			states[i], metrics[i] = c.look(e)
			read[i] = time.Now()
		}()
	}
	wg.Wait()
	ov := Overview{Nodes: states, Realms: map[string]*RealmView{}}
	if c.cfg.Events != nil {
		ov.Events = c.cfg.Events()
	}
	realm := func(name string) *RealmView {
		if ov.Realms[name] == nil {
			ov.Realms[name] = &RealmView{}
		}
		return ov.Realms[name]
	}
	for i, e := range nodes {
		m := metrics[i]
		cost, costOK := c.cost(e.ID, m, read[i])
		if costOK {
			states[i].CPUCores = &cost.Cores
		}
		switch e.Role {
		case registry.RoleRealm:
			realm(e.Realm).Players = value(m, "gridrealm_realm_players")
		case registry.RoleGateway:
			realm(e.Realm).Gateways = append(realm(e.Realm).Gateways, c.gateway(e.ID, m, cost, costOK)) // "" : every realm's
		case registry.RoleZone, registry.RoleInstance:
			z := ZoneView{ID: e.ID, Name: label(m, "gridrealm_zone_info", "name"), TickP99Ms: 1000 * quantile(m, "gridrealm_zone_tick_work_seconds", 0.99), Dilation: value(m, "gridrealm_zone_dilation"),
				Entities: value(m, "gridrealm_zone_entities"), Players: value(m, "gridrealm_zone_players")}
			realm(e.Realm).Zones = append(realm(e.Realm).Zones, z)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(ov)
}

// cost notes a node's CPU (and a gateway's player ticks) from its metrics
// m, read at now, and returns its cost over the last seconds.
func (c *server) cost(id string, m map[string]*dto.MetricFamily, now time.Time) (Cost, bool) {
	if m["process_cpu_seconds_total"] == nil {
		return Cost{}, false // not scraped
	}
	return c.costs.note(id, costReading{at: now, cpuS: value(m, "process_cpu_seconds_total"), pTicks: value(m, "gridrealm_gateway_player_ticks_total")})
}

// gateway reads a gateway's view from its metrics m, and its cost.
func (c *server) gateway(id string, m map[string]*dto.MetricFamily, cost Cost, costOK bool) GatewayView {
	g := GatewayView{ID: id, Players: value(m, "gridrealm_gateway_players"), SnapshotBytes: value(m, "gridrealm_gateway_snapshot_bytes_total"),
		Corrections: value(m, "gridrealm_gateway_corrections_total"), Disconnects: byLabel(m, "gridrealm_gateway_disconnects_total", "reason"),
		Full: value(m, "gridrealm_gateway_full") > 0, BehindP90Ms: 1000 * value(m, "gridrealm_gateway_players_behind_p90_seconds")}
	if costOK {
		g.CPUCores, g.CostSpanS = &cost.Cores, cost.Span.Seconds()
		if m["gridrealm_gateway_player_ticks_total"] != nil { // not a gateway of an older build
			g.CPUUsPerPlayerTick = &cost.USPerPlayerTick
		}
	}
	return g
}

// look reads a node's /healthz and /metrics.
func (c *server) look(e registry.Entry) (NodeState, map[string]*dto.MetricFamily) {
	st := NodeState{ID: e.ID, Role: string(e.Role), Realm: e.Realm, Host: host(e.Addr), Status: "no admin address"}
	if c.cfg.Restarts != nil {
		st.Restarts = c.cfg.Restarts()[e.ID]
	}
	if e.Admin == "" || e.Admin == "-" {
		return st, nil
	}
	if e.Role == registry.RoleReviver {
		if resp, err := c.client.Get("http://" + e.Admin + "/healthz"); err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // read to the end: the connection is kept
			resp.Body.Close()
			st.Healthy, st.Status = resp.StatusCode == http.StatusOK, "ok"
		} else {
			st.Status = "unreachable"
		}
		return st, nil
	}
	resp, err := c.client.Get("http://" + e.Admin + "/healthz")
	if err != nil {
		st.Status = "unreachable"
		return st, nil
	}
	var h node.Health
	json.NewDecoder(resp.Body).Decode(&h)
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // what the decoder left (a newline): read, the connection is kept
	resp.Body.Close()
	st.Healthy, st.Status, st.UptimeS, st.LinkTLS = resp.StatusCode == http.StatusOK && h.Status == "ok", h.Status, h.UptimeS, h.LinkTLS
	resp, err = c.client.Get("http://" + e.Admin + "/metrics")
	if err != nil {
		return st, nil
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	m, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return st, nil
	}
	return st, m
}

func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// value sums a metric's samples (a gauge or counter; 0 when absent).
// label returns a label's value in the first series of a metric ("":
// none).
func label(m map[string]*dto.MetricFamily, name, key string) string {
	if f := m[name]; f != nil && len(f.Metric) > 0 {
		for _, l := range f.Metric[0].Label {
			if l.GetName() == key {
				return l.GetValue()
			}
		}
	}
	return ""
}

func value(m map[string]*dto.MetricFamily, name string) float64 {
	f := m[name]
	if f == nil {
		return 0
	}
	sum := 0.0
	for _, s := range f.Metric {
		switch {
		case s.Gauge != nil:
			sum += s.Gauge.GetValue()
		case s.Counter != nil:
			sum += s.Counter.GetValue()
		case s.Untyped != nil:
			sum += s.Untyped.GetValue()
		}
	}
	return sum
}

// byLabel sums a counter per value of one label.
func byLabel(m map[string]*dto.MetricFamily, name, label string) map[string]float64 {
	out := map[string]float64{}
	f := m[name]
	if f == nil {
		return out
	}
	for _, s := range f.Metric {
		for _, l := range s.Label {
			if l.GetName() == label && s.Counter != nil {
				out[l.GetValue()] += s.Counter.GetValue()
			}
		}
	}
	return out
}

// quantile estimates a histogram's quantile from its buckets (the upper
// bound of the bucket that holds it; 0 without samples).
func quantile(m map[string]*dto.MetricFamily, name string, q float64) float64 {
	f := m[name]
	if f == nil || len(f.Metric) == 0 || f.Metric[0].Histogram == nil {
		return 0
	}
	h := f.Metric[0].Histogram
	total := float64(h.GetSampleCount())
	if total == 0 {
		return 0
	}
	buckets := append([]*dto.Bucket(nil), h.Bucket...)
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].GetUpperBound() < buckets[j].GetUpperBound() })
	for _, b := range buckets {
		if float64(b.GetCumulativeCount()) >= q*total {
			if math.IsInf(b.GetUpperBound(), 1) {
				break
			}
			return b.GetUpperBound()
		}
	}
	if n := len(buckets); n > 1 {
		return buckets[n-2].GetUpperBound()
	}
	return 0
}
