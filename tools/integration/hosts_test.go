package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pki"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/swarm"
)

// testHosts are the project's own test hosts: network namespaces, each
// with a veth pair into a bridge of the root namespace (which the
// revivers, running there, reach every node's admin address through).
type testHosts struct {
	ns, ips []string
	bridge  string
}

// newTestHosts creates n hosts, or skips the test (saying why) where
// namespaces cannot be made: they need root and iproute2.
func newTestHosts(t *testing.T, n int) *testHosts {
	t.Helper()
	id := os.Getpid() % 100000
	subnet := fmt.Sprintf("10.201.%d", id%250)
	h := &testHosts{bridge: fmt.Sprintf("grb%d", id)}
	ip := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ip("link", "add", h.bridge, "type", "bridge"); err != nil {
		t.Skipf("no test hosts here (network namespaces need root and iproute2): %v", err)
	}
	t.Cleanup(func() {
		for _, ns := range h.ns {
			ip("netns", "del", ns)
		}
		ip("link", "del", h.bridge)
	})
	steps := [][]string{{"addr", "add", subnet + ".254/24", "dev", h.bridge}, {"link", "set", h.bridge, "up"}}
	for i := 1; i <= n; i++ {
		ns, va, vb := fmt.Sprintf("gr%d-h%d", id, i), fmt.Sprintf("grv%d%da", id, i), fmt.Sprintf("grv%d%db", id, i)
		addr := fmt.Sprintf("%s.%d", subnet, i)
		h.ns, h.ips = append(h.ns, ns), append(h.ips, addr)
		steps = append(steps, []string{"netns", "add", ns}, []string{"link", "add", va, "type", "veth", "peer", "name", vb},
			[]string{"link", "set", vb, "netns", ns}, []string{"link", "set", va, "master", h.bridge}, []string{"link", "set", va, "up"},
			[]string{"-n", ns, "addr", "add", addr + "/24", "dev", vb}, []string{"-n", ns, "link", "set", vb, "up"},
			[]string{"-n", ns, "link", "set", "lo", "up"})
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			t.Fatalf("test hosts: %v", err)
		}
	}
	return h
}

// on prefixes a command so that it runs on host i.
func (h *testHosts) on(i int, cmd ...string) []string {
	return append([]string{"ip", "netns", "exec", h.ns[i]}, cmd...)
}

// hostOf is where a dev realm's node runs across hosts: the stores on the
// first, zones and instances on the second, the player-facing nodes on
// the third (the bots take the fourth).
func hostOf(role registry.Role) int {
	switch role {
	case registry.RoleDB, registry.RoleBackup:
		return 0
	case registry.RoleZone, registry.RoleInstance:
		return 1
	}
	return 2
}

// acrossHosts spreads a dev realm over the hosts, with TLS node links
// (the cluster's own CA, in certs) and a players' certificate for the
// third host's address.
func acrossHosts(t *testing.T, h *testHosts, certs string) func(*registry.Registry) {
	return func(reg *registry.Registry) {
		d := pki.Dir(certs)
		if err := d.Init("test"); err != nil {
			t.Fatal(err)
		}
		for _, e := range reg.Nodes {
			if err := d.Issue(e.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.IssuePlayers([]string{h.ips[2]}); err != nil {
			t.Fatal(err)
		}
		reg.LinkTLS = certs
		move := func(addr, host string) string {
			if addr == "" {
				return ""
			}
			_, port, _ := net.SplitHostPort(addr)
			return net.JoinHostPort(host, port)
		}
		for i := range reg.Nodes {
			e := &reg.Nodes[i]
			if e.Role == registry.RoleReviver {
				continue // the revivers stay on this machine, outside the hosts
			}
			host := h.ips[hostOf(e.Role)]
			e.Addr, e.Admin, e.Public = move(e.Addr, host), move(e.Admin, host), move(e.Public, host)
			if e.Role == registry.RoleLogin || e.Role == registry.RoleGateway {
				e.Restart = append(e.Restart, "--cert", filepath.Join(certs, "players.pem"), "--key", filepath.Join(certs, "players-key.pem"))
			}
			e.Restart = h.on(hostOf(e.Role), e.Restart...)
		}
	}
}

// TestRealmAcrossHosts runs the dev realm over three test hosts, its
// node links TLS with the cluster's CA, and a swarm of 100 bots from a
// fourth: every bot plays, none is disconnected.
func TestRealmAcrossHosts(t *testing.T) {
	const bots = 100
	h := newTestHosts(t, 4)
	base := upBase(990)
	r := startDevRealm(t, base, bots, acrossHosts(t, h, filepath.Join(t.TempDir(), "certs")))
	for _, e := range r.reg.Nodes {
		if e.Role == registry.RoleReviver {
			continue
		}
		if !strings.HasPrefix(e.Addr, h.ips[hostOf(e.Role)]+":") {
			t.Fatalf("%s is not on its host: %s", e.ID, e.Addr)
		}
		var health node.Health
		if err := getJSON("http://"+e.Admin+"/healthz", &health); err != nil || !health.LinkTLS {
			t.Fatalf("%s: links not TLS: %+v %v", e.ID, health, err)
		}
	}
	report := filepath.Join(t.TempDir(), "swarm.json")
	var logins []string
	for _, e := range r.reg.ByRole("", registry.RoleLogin) {
		logins = append(logins, e.Public)
	}
	cmd := exec.Command("ip", slices.Concat([]string{"netns", "exec", h.ns[3], swarmBin, "--login", strings.Join(logins, ","),
		"--ca", filepath.Join(r.reg.LinkTLSDir(), "ca.pem"), "--bots", fmt.Sprint(bots), "--duration", "15s", "--ramp", "50",
		"--json", report, "--quiet", "--max-errors", "0"})...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("swarm on the fourth host: %v\n%s", err, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep swarm.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Connected != bots || rep.Failed != 0 || rep.Disconnects != 0 || rep.SnapshotAge.Count < bots*20*10 {
		t.Fatalf("across hosts: %d connected, %d failed, %d disconnects, %d snapshots\n%s", rep.Connected, rep.Failed, rep.Disconnects, rep.SnapshotAge.Count, out)
	}
	t.Logf("across hosts, %d bots: snapshot age p50 %.1f ms, p99 %.1f ms; input echo p99 %.1f ms", bots, rep.SnapshotAge.P50, rep.SnapshotAge.P99, rep.Echo.P99)
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
