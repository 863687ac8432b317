package launch

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"log/slog"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/store"
	"github.com/gridrealm/gridrealm/world/gateway"
	"github.com/gridrealm/gridrealm/world/login"
)

// DevRealm is the realm name of a realm started by `realm up`.
const DevRealm = "dev"

// DefaultPortBase is where a dev realm's ports start: link ports from
// base+1, admin ports from base+2001.
const DefaultPortBase = 7100

// DevLoginAddrs are where the login nodes of a realm started by `realm up`
// with this port base listen for players, comma-separated (as the swarm's
// --login takes them).
func DevLoginAddrs(portBase int) string {
	return fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d", portBase+1000+loginSlot, portBase+1000+login2Slot)
}

// WorldMapFile is the dev realm's world map (see world.LoadWorldMap), in
// its data directory: its two open zones side by side.
const WorldMapFile = "world.map"

// devWorldMap is what WorldMapFile holds.
const devWorldMap = "gridrealm-world 1\nDEV-ZONE-1 DEV-ZONE-3\n"

// RunDir is the directory of a dev realm's data that its revivers share:
// the lease, and the nodes' pid files and logs (logs/ID.log).
const RunDir = "run"

// loginSlot and login2Slot are the login nodes' places in DevRegistry's port numbering.
const loginSlot, login2Slot = 5, 15

// DevRegistry returns the registry of a one-machine realm whose data lives
// in dataDir and whose nodes run the binary bin. Addresses are fixed
// loopback ports from portBase, so that tools (and a second `realm up`)
// find them.
func DevRegistry(dataDir, bin string, portBase int) (*registry.Registry, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	l := devLayout{abs: abs, bin: bin, portBase: portBase}
	node := l.entry
	// Two open zones side by side, a border between them: a player who
	// walks off the east edge of DEV-ZONE-1 is handed off to DEV-ZONE-3,
	// and back. A portal near DEV-ZONE-1's centre leads into a copy of the
	// dungeon "crypt", which the realm opens on one of its two instance
	// nodes; the copy's exit portal leads back.
	// Portals both ways between them, too.
	worldMap := filepath.Join(abs, WorldMapFile)
	west := node("DEV-ZONE-1", registry.RoleZone, 3, "zone")
	west.Restart = append(west.Restart, "--world", worldMap, "--portal", "520,500,524,504,instance:crypt,0,0",
		"--portal", "540,500,544,504,DEV-ZONE-3,530,520")
	east := node("DEV-ZONE-3", registry.RoleZone, 11, "zone")
	east.Restart = append(east.Restart, "--world", worldMap, "--npcs", "300", "--seed", "3",
		"--portal", "540,500,544,504,DEV-ZONE-1,530,520")
	r := &registry.Registry{Nodes: []registry.Entry{
		node("DEV-DB-1", registry.RoleDB, 1, "db"),
		l.backup("DEV-BACKUP-1", 2),
		west,
		l.instance("DEV-INSTANCE-1", 8),
		east,
		l.instance("DEV-INSTANCE-2", 12),
		node("DEV-REALM-1", registry.RoleRealm, 4, "realm"),
		// Two login nodes over one login db (with its own backup node):
		// either can log any player in, and either can die.
		node("DEV-LOGIN-DB", registry.RoleDB, 13, "db"),
		l.backup("DEV-LOGIN-BACKUP", 14),
		l.login("DEV-LOGIN-1", loginSlot),
		l.login("DEV-LOGIN-2", login2Slot),
		l.gateway("DEV-GATEWAY-1", 6),
		l.gateway("DEV-GATEWAY-2", 7),
		l.reviver("DEV-REVIVER-1", 9),
		l.reviver("DEV-REVIVER-2", 10),
	}}
	r.SetSecret(secret)
	return r, nil
}

// devLayout places a dev realm's nodes: fixed loopback ports from a base
// (link at base+slot, players at +1000, admin at +2000) and data under one
// directory.
type devLayout struct {
	abs, bin string
	portBase int
}

func (l devLayout) entry(id string, role registry.Role, port int, cmd string) registry.Entry {
	realm := DevRealm
	if role == registry.RoleLogin || strings.HasPrefix(id, "DEV-LOGIN-") {
		realm = "" // login nodes, their db and its backup serve every realm
	}
	public := ""
	if role == registry.RoleLogin || role == registry.RoleGateway {
		public = fmt.Sprintf("127.0.0.1:%d", l.portBase+1000+port)
	}
	return registry.Entry{
		ID: id, Role: role, Realm: realm, Public: public,
		Addr:    fmt.Sprintf("127.0.0.1:%d", l.portBase+port),
		Admin:   fmt.Sprintf("127.0.0.1:%d", l.portBase+2000+port),
		Data:    filepath.Join(l.abs, id),
		Restart: []string{l.bin, cmd, "--registry", filepath.Join(l.abs, "registry.json"), "--id", id},
	}
}

// login is a login node. Every player of a dev realm (bots included) comes
// from 127.0.0.1: the per-address login limits are the whole realm's.
func (l devLayout) login(id string, port int) registry.Entry {
	e := l.entry(id, registry.RoleLogin, port, "login")
	// Password hashing (argon2id, 50 ms of a core each) yields the shared
	// CPU to the zones and gateways: a flood of logins slows logins, not
	// play.
	e.Restart = append(e.Restart, "--attempts-per-second", "500", "--attempts-burst", "1000", "--attempts-waiting", "10000", "--nice", "10")
	e.Data = "" // the accounts are the login db's
	return e
}

// backup is a backup node. Checking each backup (a restore into memory,
// every minute) yields the shared CPU to the zones and gateways, as
// password hashing does.
func (l devLayout) backup(id string, port int) registry.Entry {
	e := l.entry(id, registry.RoleBackup, port, "backup")
	e.Restart = append(e.Restart, "--nice", "10")
	return e
}

// gateway is a gateway node. A dev realm shares one machine with its
// players' clients: a gateway also takes no new player once the machine's
// CPU is spent (gateway.Config.FullIdle), sends each player half the
// snapshots under pressure before that (ShedEvery), and runs its goroutines on one
// thread (--procs 1: a datagram's hand-offs stay on it, 17% less CPU per
// player on this kind of machine).
func (l devLayout) gateway(id string, port int) registry.Entry {
	e := l.entry(id, registry.RoleGateway, port, "gateway")
	e.Restart = append(e.Restart, "--full-idle", strconv.FormatFloat(gateway.DefaultFullIdle, 'f', -1, 64),
		"--shed-every", strconv.Itoa(gateway.DefaultShedEvery), "--procs", "1")
	return e
}

// instance is an instance node of the pool, running copies of the crypt.
func (l devLayout) instance(id string, port int) registry.Entry {
	e := l.entry(id, registry.RoleInstance, port, "zone")
	e.Restart = append(e.Restart, "--pool", "crypt", "--exit", "DEV-ZONE-1@512,512", "--release-after", "30s")
	return e
}

// reviver is one of two revivers, one active and one on standby: realm up
// runs them (they have no restart command: no reviver restarts a
// reviver). They share their state directory (the lease, the nodes' pid
// files and logs) and serve /events and admin actions at their admin
// addresses.
func (l devLayout) reviver(id string, port int) registry.Entry {
	e := l.entry(id, registry.RoleReviver, port, "reviver")
	e.Realm, e.Restart, e.Data = "", nil, filepath.Join(l.abs, RunDir)
	return e
}

// Describe says what a node runs: its role, and for a zone node the
// instance template it runs copies of, if any.
func Describe(e registry.Entry) string {
	if i := slices.Index(e.Restart, "--pool"); i >= 0 && i+1 < len(e.Restart) {
		return fmt.Sprintf("%s (pool: %s)", e.Role, e.Restart[i+1])
	}
	if i := slices.Index(e.Restart, "--instance"); i >= 0 && i+1 < len(e.Restart) {
		return fmt.Sprintf("%s (instance %s)", e.Role, e.Restart[i+1])
	}
	if e.Role == registry.RoleZone {
		return fmt.Sprintf("%s (open)", e.Role)
	}
	return string(e.Role)
}

// LoadOrCreate returns the registry in dataDir, writing a new one (with a
// fresh cluster secret) the first time.
func LoadOrCreate(dataDir, bin string, portBase int) (*registry.Registry, string, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, "", err
	}
	// The world map is content: an operator may change it; it is written
	// only when missing.
	if wm := filepath.Join(dataDir, WorldMapFile); !exists(wm) {
		if err := os.WriteFile(wm, []byte(devWorldMap), 0o644); err != nil {
			return nil, "", err
		}
	}
	path := filepath.Join(dataDir, "registry.json")
	if _, err := os.Stat(path); err == nil {
		r, err := registry.Load(path)
		if err != nil {
			return nil, "", err
		}
		if err := refresh(r, dataDir, bin); err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return r, path, r.Save(path)
	}
	r, err := DevRegistry(dataDir, bin, portBase)
	if err != nil {
		return nil, "", err
	}
	return r, path, r.Save(path)
}

// refresh brings a dev registry written by an earlier `realm up` up to
// date: every node's command is the one this version would write (the
// binary may have moved: go run builds a new one each time), and nodes
// this version adds are added on the same port numbering. Addresses, data
// directories and the secret are kept.
func refresh(r *registry.Registry, dataDir, bin string) error {
	db := r.ByRole(DevRealm, registry.RoleDB)
	if len(db) == 0 {
		return errors.New("not a dev registry: no db node in realm " + DevRealm)
	}
	_, port, err := net.SplitHostPort(db[0].Addr)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("db address %s: %w", db[0].Addr, err)
	}
	want, err := DevRegistry(dataDir, bin, p-1)
	if err != nil {
		return err
	}
	// Dev nodes this version no longer has go (an earlier static instance).
	r.Nodes = slices.DeleteFunc(r.Nodes, func(n registry.Entry) bool {
		_, ok := want.Node(n.ID)
		return !ok && strings.HasPrefix(n.ID, "DEV-")
	})
	for _, e := range want.Nodes {
		if i := slices.IndexFunc(r.Nodes, func(n registry.Entry) bool { return n.ID == e.ID }); i >= 0 {
			r.Nodes[i].Restart = e.Restart
			if e.Role == registry.RoleReviver {
				r.Nodes[i].Data = e.Data
			}
		} else {
			r.Nodes = append(r.Nodes, e)
		}
	}
	return nil
}

// DevAccounts creates accounts bot0..botN-1 with the password "bot" in the
// login db's store, before the login db starts (its store is its own while
// it runs). Existing accounts are kept.
func DevAccounts(r *registry.Registry, n int) error {
	dir := ""
	if dbs := r.InRealm("", registry.RoleDB); len(dbs) > 0 {
		dir = dbs[0].Data
	} else if logins := r.ByRole("", registry.RoleLogin); len(logins) > 0 {
		dir = logins[0].Data
	}
	if dir == "" {
		return errors.New("dev accounts: the registry has no login db (or login node) with a data directory")
	}
	s, err := store.Open(store.Config{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("dev accounts: %w", err)
	}
	defer s.Close()
	hash, err := login.HashPassword("bot", login.OWASP)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		// One hash for all: dev accounts share a password, and hashing
		// thousands at OWASP cost would take minutes.
		if _, err := s.CreateAccount(fmt.Sprintf("bot%d", i), hash); err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("dev accounts: %w", err)
		}
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// UseContent has every zone and instance node run the content directory
// dir (an absolute path) and reload it when its files change: realm up
// --content. An empty dir puts them back on the shipped content. A
// registry it changed before is changed again, not added to.
func UseContent(r *registry.Registry, dir string) {
	for i := range r.Nodes {
		e := &r.Nodes[i]
		if (e.Role != registry.RoleZone && e.Role != registry.RoleInstance) || len(e.Restart) == 0 {
			continue
		}
		var kept []string
		for k := 0; k < len(e.Restart); k++ {
			switch e.Restart[k] {
			case "--content":
				k++ // and its value
			case "--watch":
			default:
				kept = append(kept, e.Restart[k])
			}
		}
		if dir != "" {
			kept = append(kept, "--content", dir, "--watch")
		}
		e.Restart = kept
	}
}

// WaitHealthy waits for a node's /healthz at url to answer 200, for at
// most timeout.
func WaitHealthy(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
