package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/tools/launch"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// devRealm is a dev realm's nodes run as separate `realm` processes from
// the registry realm up would write, under its two revivers, each a `realm
// reviver` process, as realm up runs them: a test kills a node's process
// (or the active reviver's) and the realm comes back.
type devRealm struct {
	reg *registry.Registry
	dir string
	rv  *revivers
	tls *tls.Config // what its players trust
}

func startDevRealm(t *testing.T, base, accounts int, tweaks ...func(*registry.Registry)) *devRealm {
	t.Helper()
	dir := t.TempDir()
	reg, path, err := launch.LoadOrCreate(dir, realmBin, base)
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
	for _, tweak := range tweaks {
		tweak(reg)
	}
	if err := reg.Save(path); err != nil {
		t.Fatal(err)
	}
	out := &syncWriter{}
	rs, err := launch.StartRevivers(realmBin, path, reg, out, "--check-every", "100ms", "--dead-after", "1s", "--backoff-min", "50ms")
	if err != nil {
		t.Fatal(err)
	}
	rv := &revivers{rs: rs, reg: reg, seen: map[string]bool{}}
	t.Cleanup(func() {
		if err := rv.Stop(); err != nil {
			t.Error(err)
		}
		// A handler's panic is a bug the node survives (net/node logs and
		// counts it): none may happen in any test.
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, "handler panicked") {
				t.Errorf("a node's handler panicked: %.2000s", line)
			}
		}
		if t.Failed() {
			t.Logf("the realm's output:\n%s", out.String())
			for _, e := range rv.Events() {
				t.Log(e)
			}
		}
	})
	if _, err := rs.NodePIDs(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	clientTLS, err := pquic.ClientTLS(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	r := &devRealm{reg: reg, dir: dir, rv: rv, tls: clientTLS}
	for _, e := range reg.Nodes {
		if len(e.Restart) == 0 {
			continue // a reviver
		}
		if err := waitHealthy("http://" + e.Admin + "/healthz"); err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
	}
	return r
}

// revivers is the test's view of the realm's two reviver processes.
type revivers struct {
	rs       *launch.Revivers
	reg      *registry.Registry
	mu       sync.Mutex
	events   []reviver.Event // every event either reported, oldest first
	seen     map[string]bool
	stopOnce sync.Once
	stopErr  error
}

// Events returns every event the revivers reported so far (a killed
// reviver's, too, as far as they were read before).
func (v *revivers) Events() []reviver.Event {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.reg.ByRole("", registry.RoleReviver) {
		resp, err := http.Get("http://" + e.Admin + "/events")
		if err != nil {
			continue
		}
		var evs []reviver.Event
		json.NewDecoder(resp.Body).Decode(&evs)
		resp.Body.Close()
		for _, ev := range evs {
			key := fmt.Sprintf("%s %s %s %s %d", e.ID, ev.At.Format(time.RFC3339Nano), ev.Node, ev.Kind, ev.PID)
			if !v.seen[key] {
				v.seen[key] = true
				v.events = append(v.events, ev)
			}
		}
	}
	slices.SortStableFunc(v.events, func(a, b reviver.Event) int { return a.At.Compare(b.At) })
	return slices.Clone(v.events)
}

// Running returns the process id of every node that runs, from the
// revivers' pid files.
func (v *revivers) Running() map[string]int {
	out := map[string]int{}
	for _, e := range v.reg.Nodes {
		if pid, start, err := reviver.ReadPIDFile(v.rs.State(), e.ID); err == nil && reviver.Alive(pid, start) {
			out[e.ID] = pid
		}
	}
	return out
}

// Holder returns the reviver holding the lease.
func (v *revivers) Holder() string {
	l, _ := reviver.ReadLease(v.rs.State())
	return l.Holder
}

// Stop stops the revivers and the realm (once).
func (v *revivers) Stop() error {
	v.stopOnce.Do(func() {
		v.Events() // the last ones
		v.stopErr = v.rs.Stop()
	})
	return v.stopErr
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

// metrics returns the lines of a node's /metrics that hold substr.
func (r *devRealm) metrics(t *testing.T, id, substr string) string {
	t.Helper()
	resp, err := http.Get("http://" + r.entry(id).Admin + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var out strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) && !strings.HasPrefix(sc.Text(), "#") {
			out.WriteString(sc.Text() + "\n")
		}
	}
	return out.String()
}

// labelled reads one metric line of a node's /metrics, named with its
// labels exactly as Prometheus prints them (0 when absent).
func (r *devRealm) labelled(t *testing.T, id, series string) float64 {
	t.Helper()
	for _, l := range strings.Split(r.metrics(t, id, series), "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
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

// loginRetrying logs in as a dev account, retrying while the login node
// is starting or busy.
func loginRetrying(ctx context.Context, addr string, tlsConf *tls.Config, account, realm string) (codec.LoginResult, error) {
	for {
		res, err := client.Login(ctx, addr, tlsConf, account, "bot", realm)
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

// count counts a node's events of a kind (the realm's, for RealmRestarted).
func (r *devRealm) count(id string, kind reviver.EventKind) int {
	n := 0
	for _, e := range r.rv.Events() {
		if (e.Node == id || kind == reviver.RealmRestarted) && e.Kind == kind {
			n++
		}
	}
	return n
}

// dumpItems reads the stopped db with realm db dump and counts its items,
// those whose owner is no character, and item ids seen twice.
func (r *devRealm) dumpItems(t *testing.T) (items, orphaned, duplicated int) {
	items, orphaned, duplicated, _ = r.dump(t)
	return items, orphaned, duplicated
}

// dump is dumpItems with every live item's owner, by item id.
func (r *devRealm) dump(t *testing.T) (items, orphaned, duplicated int, owners map[uint64]uint64) {
	out, err := exec.Command(realmBin, "db", "dump", "--data", r.entry("DEV-DB-1").Data, "--json").Output()
	if err != nil {
		t.Fatalf("db dump: %v", err)
	}
	type record struct {
		Character *struct{ ID uint64 } `json:"character"`
		Item      *struct {
			ID, Owner uint64
			Destroyed bool
		} `json:"item"`
	}
	characters, seen := map[uint64]bool{}, map[uint64]bool{}
	owners = map[uint64]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var rec record
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		switch {
		case rec.Character != nil:
			characters[rec.Character.ID] = true
		case rec.Item != nil && !rec.Item.Destroyed:
			items++
			if seen[rec.Item.ID] {
				duplicated++
			}
			seen[rec.Item.ID] = true
			owners[rec.Item.ID] = rec.Item.Owner
		}
	}
	for _, o := range owners {
		if !characters[o] {
			orphaned++
		}
	}
	return items, orphaned, duplicated, owners
}

// bot logs dev account bot<i> in and connects it with Reconnect over the
// realm's gateways (tune changes the options), retrying while the realm
// is coming back, for 60 s at most; the connection closes when the test
// ends.
func (r *devRealm) bot(t *testing.T, i int, tune ...func(*client.Options)) *client.Conn {
	t.Helper()
	return r.botAt(t, i, "DEV-LOGIN-1", launch.DevRealm, tune...)
}

// botAt is bot through a login node of the registry, into a realm.
func (r *devRealm) botAt(t *testing.T, i int, login, realm string, tune ...func(*client.Options)) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	account := fmt.Sprintf("bot%d", i)
	for {
		res, err := loginRetrying(ctx, r.entry(login).Public, r.tls, account, realm)
		if err != nil {
			t.Fatal(err)
		}
		opts := client.Options{Reconnect: true, Gateways: res.Gateways, Realm: realm}
		for _, f := range tune {
			f(&opts)
		}
		conn, err := client.ConnectWith(ctx, res.Gateways[0], r.tls, res.SessionHandle, opts)
		if err == nil {
			t.Cleanup(func() { conn.Close() })
			return conn
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: %v", account, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// granter is a test node on the db's link that reads characters and
// writes as a zone would.
func (r *devRealm) granter(t *testing.T) *dbclient.Client {
	t.Helper()
	return r.dbClient(t, "DEV-DB-1")
}

// dbClient is a test node on a db node's link.
func (r *devRealm) dbClient(t *testing.T, id string) *dbclient.Client {
	t.Helper()
	db := r.entry(id)
	n := nodetest.Start(t, node.Config{ID: "GRANTER-" + id, Secret: r.reg.ClusterSecret(), Peers: []node.Peer{{ID: db.ID, Addr: db.Addr}}})
	return dbclient.New(n, db.ID, 2*time.Second)
}

// grantMany creates a character through the db, as a zone would, and
// grants it n items, each acknowledged; it returns the owner and the items.
func (r *devRealm) grantMany(t *testing.T, n int) (owner uint64, granted []uint64) {
	t.Helper()
	c := r.granter(t)
	rep, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "granter", Name: "Granter", Zone: "DEV-ZONE-1"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		g, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: rep.Character.ID, Template: uint32(i), Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		granted = append(granted, g.Items[0].ID)
	}
	return rep.Character.ID, granted
}
