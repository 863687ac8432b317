package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gridrealm/gridrealm/net/metrics"
	"github.com/gridrealm/gridrealm/net/registry"
)

// metricsDoc is the operators' reference of every metric, made from the
// nodes' catalogs.
var metricsDoc = filepath.Join("..", "..", "docs", "metrics.md")

// TestEveryMetricIsInTheReference: docs/metrics.md lists every metric the
// nodes of a dev realm (every role) may report, as their catalogs
// (/metrics/catalog) say: name, type, labels, help, and the roles that
// report it. A metric added, renamed or re-described without the
// reference fails here; `make metrics-doc` writes it afresh.
func TestEveryMetricIsInTheReference(t *testing.T) {
	r := startDevRealm(t, upBase(590), 1)
	roles := map[string]map[string]bool{} // metric -> roles reporting it
	infos := map[string]metrics.Info{}
	for _, e := range r.reg.Nodes {
		cat, err := catalog(e.Admin)
		if err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
		for _, in := range cat {
			if !strings.HasPrefix(in.Name, "gridrealm_") {
				continue // the client library's go_* and process_*
			}
			if old, ok := infos[in.Name]; ok && (old.Help != in.Help || old.Type != in.Type || !slices.Equal(old.Labels, in.Labels)) {
				t.Errorf("%s is %+v on one node and %+v on %s", in.Name, old, in, e.ID)
			}
			if in.Type == "untyped" {
				t.Errorf("%s on %s: its type cannot be told (a collector of its own with no series)", in.Name, e.ID)
			}
			infos[in.Name] = in
			if roles[in.Name] == nil {
				roles[in.Name] = map[string]bool{}
			}
			roles[in.Name][string(e.Role)] = true
		}
	}
	doc := renderMetricsDoc(infos, roles, r.reg)
	if os.Getenv("GRIDREALM_WRITE_METRICS_DOC") != "" {
		if err := os.WriteFile(metricsDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d metrics", metricsDoc, len(infos))
		return
	}
	have, err := os.ReadFile(metricsDoc)
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != doc {
		hl, wl := strings.Split(string(have), "\n"), strings.Split(doc, "\n")
		for i := range max(len(hl), len(wl)) {
			h, w := line(hl, i), line(wl, i)
			if h != w {
				t.Fatalf("docs/metrics.md is stale (run make metrics-doc); line %d is\n%s\nwant\n%s", i+1, h, w)
			}
		}
	}
}

func line(ls []string, i int) string {
	if i < len(ls) {
		return ls[i]
	}
	return "(end)"
}

// catalog reads a node's catalog of metrics.
func catalog(admin string) ([]metrics.Info, error) {
	resp, err := http.Get("http://" + admin + "/metrics/catalog")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics/catalog: %s", resp.Status)
	}
	var out []metrics.Info
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// renderMetricsDoc writes the reference: the metrics every node reports,
// then those of each role (or roles: an instance node runs a zone).
func renderMetricsDoc(infos map[string]metrics.Info, roles map[string]map[string]bool, reg *registry.Registry) string {
	order := []registry.Role{registry.RoleLogin, registry.RoleRealm, registry.RoleGateway, registry.RoleZone, registry.RoleInstance,
		registry.RoleDB, registry.RoleBackup, registry.RoleReviver}
	rank := func(r string) int { return slices.Index(order, registry.Role(r)) }
	var all []string // every role but the revivers, which are not nodes of the mesh
	for _, e := range reg.Nodes {
		if e.Role != registry.RoleReviver && !slices.Contains(all, string(e.Role)) {
			all = append(all, string(e.Role))
		}
	}
	byRank := func(a, b string) int { return rank(a) - rank(b) }
	slices.SortFunc(all, byRank)
	sections := map[string][]string{} // roles, comma-joined -> metrics
	for name, rs := range roles {
		var list []string
		for r := range rs {
			list = append(list, r)
		}
		slices.SortFunc(list, byRank)
		key := strings.Join(list, ",")
		if slices.Equal(list, all) {
			key = ""
		}
		sections[key] = append(sections[key], name)
	}
	keys := make([]string, 0, len(sections))
	for k := range sections {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { // every node first, then by role
		ra, rb := -1, -1
		if a != "" {
			ra = rank(strings.Split(a, ",")[0])
		}
		if b != "" {
			rb = rank(strings.Split(b, ",")[0])
		}
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	var b strings.Builder
	b.WriteString(`# Metrics

<!-- Made by make metrics-doc from the nodes' catalogs; make test fails when it is stale. -->

Every node serves Prometheus metrics at ` + "`http://ADMIN/metrics`" + ` (its admin address; ` + "`realm up`" + ` prints
them), and the list of every metric it may report, with those that have no series yet, at
` + "`/metrics/catalog`" + ` (JSON). This page is that list for every role of a realm, made from a running dev
realm. A metric with labels has a series for each value seen: a counter of refusals by reason has none
until the first refusal. Besides these, every node reports the Go runtime's ` + "`go_*`" + ` and (except the
revivers) its process's ` + "`process_*`" + ` metrics, as Prometheus' Go client defines them.

The README's "Watching a realm" says which to watch first.
`)
	for _, k := range keys {
		names := sections[k]
		slices.Sort(names)
		title := "Every node (not the revivers)"
		if k != "" {
			title = "The " + strings.Join(strings.Split(k, ","), " and ") + " nodes"
		}
		fmt.Fprintf(&b, "\n## %s\n\n| metric | type | labels | what it says |\n| --- | --- | --- | --- |\n", title)
		for _, n := range names {
			in := infos[n]
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", n, in.Type, strings.Join(in.Labels, ", "), strings.ReplaceAll(in.Help, "|", `\|`))
		}
	}
	return b.String()
}
