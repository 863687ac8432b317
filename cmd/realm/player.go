package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/gridrealm/gridrealm/net/agones"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/world/gateway"
	"github.com/gridrealm/gridrealm/world/realm"
)

// playerTLS loads the players' certificate, or makes (once) the dev one
// that the realm's login and gateway nodes share, beside the registry.
func playerTLS(certFile, keyFile string, nf *nodeFlags) (*tls.Config, error) {
	var certPEM, keyPEM []byte
	var err error
	if certFile != "" {
		if certPEM, err = os.ReadFile(certFile); err == nil {
			keyPEM, err = os.ReadFile(keyFile)
		}
	} else {
		certPEM, keyPEM, err = pquic.LoadOrCreateDevCert(filepath.Dir(nf.registry))
	}
	if err != nil {
		return nil, err
	}
	return pquic.ServerTLS(certPEM, keyPEM)
}

// runRealmNode runs a realm node: its zones and db come from the registry.
func runRealmNode(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm realm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nf nodeFlags
	nf.register(fs, "REALM-1")
	templateCaps := map[string]int{}
	fs.Func("instance-cap", "TEMPLATE=N: at most N copies of the instance template at once (repeatable; without any, every template the pool knows)", func(v string) error {
		name, n, ok := strings.Cut(v, "=")
		c, err := strconv.Atoi(n)
		if !ok || name == "" || err != nil || c < 0 {
			return fmt.Errorf("want TEMPLATE=N, got %q", v)
		}
		templateCaps[name] = c
		return nil
	})
	maxInstances := fs.Int("max-instances", 0, "instances the realm runs at once (0: as many as its pool has nodes)")
	exit := fs.String("instance-exit", "", "ZONE@x,y: where the realm's instances lead out (needed with instance nodes every realm shares)")
	fleet := fs.String("instance-fleet", "", "on Agones: allocate instance nodes from this Fleet (GameServerAllocation, with the pod's service account) when the registry's are all taken")
	if err := parse(fs, args); err != nil {
		return err
	}
	ncfg, err := nf.config(registry.RoleRealm)
	if err != nil {
		return err
	}
	if nf.reg == nil {
		return fmt.Errorf("%w: realm realm needs --registry (it names the zones)", errUsage)
	}
	db, err := nf.peer(ncfg, registry.RoleDB, "", "")
	if err != nil {
		return err
	}
	cfg := realm.Config{DB: db.ID, Zones: map[string]string{}}
	ncfg.Peers = []node.Peer{db}
	for _, z := range nf.reg.ByRole(ncfg.Realm, registry.RoleZone) {
		cfg.Zones[z.ID] = z.Addr
		ncfg.Peers = append(ncfg.Peers, node.Peer{ID: z.ID, Addr: z.Addr})
		if cfg.DefaultZone == "" {
			cfg.DefaultZone = z.ID
		}
	}
	if cfg.DefaultZone == "" {
		return fmt.Errorf("registry %s: realm %q has no zone", nf.registry, ncfg.Realm)
	}
	cfg.Pool, cfg.Templates, cfg.MaxInstances = map[string]string{}, templateCaps, *maxInstances
	// The realm's own instance nodes, and those every realm shares.
	shared := nf.reg.InRealm("", registry.RoleInstance)
	for _, z := range append(nf.reg.InRealm(ncfg.Realm, registry.RoleInstance), shared...) {
		cfg.Pool[z.ID], cfg.Zones[z.ID] = z.Addr, z.Addr
		ncfg.Peers = append(ncfg.Peers, node.Peer{ID: z.ID, Addr: z.Addr})
	}
	cfg.InstanceLoad = codec.LoadInstance{DB: db.ID, DBAddr: db.Addr}
	if *exit != "" {
		ex, x, y, err := exitFlag(&nf, *exit)
		if err != nil {
			return fmt.Errorf("%w: --instance-exit: %v", errUsage, err)
		}
		cfg.InstanceLoad.ExitZone, cfg.InstanceLoad.ExitAddr, cfg.InstanceLoad.ExitX, cfg.InstanceLoad.ExitY = ex.Zone, ex.Addr, x, y
	} else if len(shared) > 0 || *fleet != "" {
		return fmt.Errorf("%w: instance nodes every realm shares (in the registry, or a fleet) need --instance-exit ZONE@x,y", errUsage)
	}
	if *fleet != "" {
		a, err := agones.InCluster("")
		if err != nil {
			return err
		}
		cfg.Allocator = agones.Fleet{Allocator: a, Name: *fleet, Labels: map[string]string{"gridrealm.dev/realm": ncfg.Realm}}
	}
	cfg.Node = ncfg
	r, err := realm.Start(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	r.Stop()
	return nil
}

// runGateway runs a gateway: its players' address and realm node come
// from the registry.
func runGateway(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nf nodeFlags
	nf.register(fs, "GATEWAY-1")
	certFile := fs.String("cert", "", "TLS certificate (PEM); default: the realm's dev certificate beside the registry")
	keyFile := fs.String("key", "", "TLS key (PEM)")
	budget := fs.Int("budget", gateway.DefaultBudget, "bytes of one snapshot datagram")
	maxPlayers := fs.Int("max-players", 0, "players the gateway takes at most (0: no cap)")
	fullLateness := fs.Duration("full-lateness", gateway.DefaultFullLateness, "how late its snapshots may leave before it takes no new player (negative: never full for lateness)")
	fullBehind := fs.Duration("full-behind", gateway.DefaultFullBehind, "how far behind the snapshots sent to them its players may acknowledge (90th percentile, less the path's round trip) before it takes no new player (negative: never full for it)")
	fullIdle := fs.Float64("full-idle", 0, "take no new player while the machine's idle CPU share (over 5 s) is under this and the gateway uses --full-idle-share of a core or more (0: off; realm up uses 0.40)")
	fullIdleShare := fs.Float64("full-idle-share", gateway.DefaultFullIdleShare, "the share of a core the gateway must use for --full-idle to count")
	snapshotEvery := fs.Int("snapshot-every", 1, "zone ticks between one player's snapshots (1: every tick)")
	shedEvery := fs.Int("shed-every", 0, "under pressure (full by lateness, players behind or CPU), zone ticks between one player's snapshots until the players who strained it would fit again (0: never shed; realm up uses 2)")
	procs := fs.Int("procs", 0, "OS threads running Go code at once (GOMAXPROCS; 0: one per CPU). 1 keeps each datagram's hand-offs between goroutines on one thread: cheaper per player on a shared machine; scale by running a gateway per core (realm up uses 1)")
	playersListen := fs.String("players-listen", "", "where to listen for players (default: the registry's public address, which players are told; behind a load balancer or in a pod, e.g. 0.0.0.0:PORT)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *procs < 0 {
		return fmt.Errorf("%w: --procs must be ≥ 0", errUsage)
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	ncfg, err := nf.config(registry.RoleGateway)
	if err != nil {
		return err
	}
	if nf.reg == nil {
		return fmt.Errorf("%w: realm gateway needs --registry", errUsage)
	}
	tlsConf, err := playerTLS(*certFile, *keyFile, &nf)
	if err != nil {
		return err
	}
	self, _ := nf.reg.Node(nf.id)
	// A gateway of one realm asks its realm node; one every realm shares
	// (no realm in the registry) asks the node of the realm each player
	// names.
	var realm node.Peer
	realms := map[string]string{}
	if self.Realm != "" {
		if realm, err = nf.peer(ncfg, registry.RoleRealm, "", ""); err != nil {
			return err
		}
		ncfg.Peers = []node.Peer{realm}
	} else {
		for _, e := range nf.reg.ByRole("", registry.RoleRealm) {
			realms[e.Realm] = e.ID
			ncfg.Peers = append(ncfg.Peers, node.Peer{ID: e.ID, Addr: e.Addr})
		}
	}
	var siblings []string
	for _, e := range nf.reg.InRealm(self.Realm, registry.RoleGateway) {
		if e.ID != self.ID {
			siblings = append(siblings, e.ID)
			ncfg.Peers = append(ncfg.Peers, node.Peer{ID: e.ID, Addr: e.Addr})
		}
	}
	listen := self.Public
	if *playersListen != "" {
		listen = *playersListen
	}
	g, err := gateway.Start(gateway.Config{Node: ncfg, Budget: *budget, Realm: realm.ID, Realms: realms, Listen: listen, Public: self.Public, TLS: tlsConf, Siblings: siblings,
		MaxPlayers: *maxPlayers, FullLateness: *fullLateness, FullBehind: *fullBehind, FullIdle: *fullIdle, FullIdleShare: *fullIdleShare,
		SnapshotEvery: *snapshotEvery, ShedEvery: *shedEvery})
	if err != nil {
		return err
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	g.Stop()
	return nil
}
