package integration

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/persist/store"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/gateway"
	"github.com/gridrealm/gridrealm/world/login"
	"github.com/gridrealm/gridrealm/world/realm"
	"github.com/gridrealm/gridrealm/world/zone"
)

// realmBin and swarmBin are the binaries built for this run.
var realmBin, swarmBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gridrealm-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	realmBin, swarmBin = filepath.Join(dir, "realm"), filepath.Join(dir, "swarm")
	build := exec.Command("go", "build", "-o", dir, "github.com/gridrealm/gridrealm/cmd/realm", "github.com/gridrealm/gridrealm/cmd/swarm")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build realm and swarm:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// freePort returns a loopback address nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// process is a node running as its own OS process.
type process struct {
	t    *testing.T
	args []string
	log  *syncWriter

	mu  sync.Mutex
	cmd *exec.Cmd
}

type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// startProcess runs `realm args...` and stops it (SIGKILL if need be) when
// the test ends; its output is shown if the test fails.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{t: t, args: args, log: &syncWriter{}}
	p.start()
	t.Cleanup(func() {
		p.stop(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("output of realm %s:\n%s", strings.Join(args, " "), p.log.String())
		}
	})
	return p
}

func (p *process) start() {
	p.t.Helper()
	cmd := exec.Command(realmBin, p.args...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.cmd = cmd
	p.mu.Unlock()
}

// stop sends sig and waits for the process to exit.
func (p *process) stop(sig syscall.Signal) {
	p.mu.Lock()
	cmd := p.cmd
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		p.t.Errorf("realm %s did not stop on %v", strings.Join(p.args, " "), sig)
	}
}

// restart kills the process with SIGKILL and starts it again.
func (p *process) restart() {
	p.stop(syscall.SIGKILL)
	p.start()
}

// core is the heart of a realm run in this process: a db node, one zone
// (ZONE-1) and the realm node, with the TLS its gateways and clients use.
// Tests add the gateways and the login node they are about.
type core struct {
	secret               []byte
	serverTLS, clientTLS *tls.Config
	db                   *db.Node
	zone                 *zone.Node
	realm                *realm.Node
	dbPeer, zonePeer     node.Peer
	realmPeer            node.Peer
}

// startCore starts a db, a zone and a realm; they stop when the test ends
// (the zone may be stopped before that, to read its world).
func startCore(t *testing.T, secret string, zc world.ZoneConfig) *core {
	t.Helper()
	return startCoreNPCs(t, secret, zc, 0)
}

// startCoreNPCs is startCore with npcs NPCs spread over the zone.
func startCoreNPCs(t *testing.T, secret string, zc world.ZoneConfig, npcs int) *core {
	t.Helper()
	c := &core{secret: []byte(secret)}
	var err error
	if c.serverTLS, c.clientTLS, err = pquic.DevTLS(); err != nil {
		t.Fatal(err)
	}
	if c.db, err = db.Start(db.Config{Node: c.nodeConfig("DB"), Store: store.Config{Dir: t.TempDir()}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.db.Stop(); err != nil {
			t.Errorf("db did not close cleanly: %v", err)
		}
	})
	c.dbPeer = node.Peer{ID: "DB", Addr: c.db.Node().Addr()}
	if c.zone, err = zone.Start(zone.Config{Node: c.nodeConfig("ZONE-1", c.dbPeer), DB: "DB", Checkpoint: time.Hour, Zone: zc, NPCs: npcs}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.zone.Stop)
	c.zonePeer = node.Peer{ID: "ZONE-1", Addr: c.zone.Node().Addr()}
	if c.realm, err = realm.Start(realm.Config{Node: c.nodeConfig("REALM", c.dbPeer, c.zonePeer), DB: "DB",
		Zones: map[string]string{"ZONE-1": c.zonePeer.Addr}, DefaultZone: "ZONE-1"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.realm.Stop)
	c.realmPeer = node.Peer{ID: "REALM", Addr: c.realm.Node().Addr()}
	return c
}

// metric sums a metric's series on a node's /metrics registry whose labels
// include the given ones (name=value pairs).
func metric(t *testing.T, n *node.Node, name string, labels ...string) float64 {
	t.Helper()
	families, err := n.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}

// startFront starts a gateway (GW-1) and a login node (LOGIN) serving the
// realm "dev" in front of the core; both stop when the test ends.
func (c *core) startFront(t *testing.T) (*gateway.Node, *login.Node) {
	t.Helper()
	return c.startFrontWith(t, nil)
}

// startFrontWith is startFront with the gateway's config changed by tweak.
func (c *core) startFrontWith(t *testing.T, tweak func(*gateway.Config)) (*gateway.Node, *login.Node) {
	t.Helper()
	cfg := gateway.Config{Node: c.nodeConfig("GW-1", c.realmPeer), Realm: "REALM", Listen: "127.0.0.1:0", TLS: c.serverTLS}
	if tweak != nil {
		tweak(&cfg)
	}
	gw, err := gateway.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Stop)
	lg, err := login.Start(login.Config{Node: c.nodeConfig("LOGIN", c.realmPeer), Listen: "127.0.0.1:0", TLS: c.serverTLS,
		Accounts: store.Config{Dir: t.TempDir()}, Realms: map[string]login.Realm{"dev": {Node: "REALM", Gateways: []string{gw.Addr()}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Stop)
	return gw, lg
}

// nodeConfig is the link config of one more node of this realm.
func (c *core) nodeConfig(id string, peers ...node.Peer) node.Config {
	return node.Config{ID: id, Secret: c.secret, Listen: "127.0.0.1:0", Logger: quiet(), Peers: peers}
}

// dbProcess is a db node run as a `realm db` process (from a registry of
// its own, on a free port), with a client linked to it from this process.
type dbProcess struct {
	proc   *process
	data   string // the store's directory
	client *dbclient.Client
}

// startDBProcess starts the db process; both stop when the test ends. The
// client's requests time out after 2 s.
func startDBProcess(t *testing.T, realmName string, secret []byte) *dbProcess {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "db")
	reg := &registry.Registry{Nodes: []registry.Entry{{ID: "DB-1", Role: registry.RoleDB, Realm: realmName, Addr: freePort(t), Admin: "127.0.0.1:0"}}}
	reg.SetSecret(secret)
	regPath := filepath.Join(dir, "registry.json")
	if err := reg.Save(regPath); err != nil {
		t.Fatal(err)
	}
	proc := startProcess(t, "db", "--registry", regPath, "--id", "DB-1", "--data", data, "--log", "warn")
	n := nodetest.Start(t, node.Config{ID: realmName + "-CLIENT", Secret: secret, Admin: "-", Peers: []node.Peer{{ID: "DB-1", Addr: reg.Nodes[0].Addr}}})
	return &dbProcess{proc: proc, data: data, client: dbclient.New(n, "DB-1", 2*time.Second)}
}

// player logs in as name (the account made with the password "pw" if it
// does not exist) at lg and connects to gateway; the connection closes
// when the test ends.
func (c *core) player(t *testing.T, lg *login.Node, gateway, name string) *client.Conn {
	t.Helper()
	if err := lg.CreateAccount(name, "pw"); err != nil && !errors.Is(err, store.ErrExists) {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := client.Login(ctx, lg.Addr(), c.clientTLS, name, "pw", "dev")
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	conn, err := client.Connect(ctx, gateway, c.clientTLS, res.SessionHandle)
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
