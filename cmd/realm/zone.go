package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/agones"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/content"
	"github.com/gridrealm/gridrealm/world/zone"
)

// runZone runs a zone node: the zone runtime as a node, its db from the
// registry.
func runZone(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm zone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nf nodeFlags
	nf.register(fs, "ZONE-1")
	var cfg zone.Config
	fs.Uint64Var(&cfg.Zone.Seed, "seed", 1, "seed of the map and the world")
	var size float64
	fs.Float64Var(&size, "size", 1024, "edge of the generated map, metres")
	obstacles := fs.Float64("obstacles", 0.05, "share of the generated map covered by obstacles (negative: none)")
	fs.IntVar(&cfg.NPCs, "npcs", -1, "NPCs spread over the map (-1: as many as the content's zone spreads)")
	contentDir := fs.String("content", "default", "the realm's content directory (\"default\": the one shipped with the engine): rules, NPCs, items, loot, maps, scripts")
	fs.StringVar(&cfg.ContentZone, "zone-content", "open", "the open zone of the content this node runs")
	watch := fs.Bool("watch", false, "reload the content when its files change, at a tick boundary (a set that does not load is refused and the running one stays)")
	mapFile := fs.String("map", "", "map file instead of a generated map (see world.LoadMap)")
	instance := fs.String("instance", "", "run a copy of an instance template of the content (a dungeon: its map, camps, player cap) instead of an open zone")
	playerCap := fs.Int("player-cap", 0, "players one instance copy admits (0: the template's)")
	fs.DurationVar(&cfg.Checkpoint, "checkpoint", zone.DefaultCheckpoint, "how often players' positions are saved: the most a zone crash can roll a position back")
	fs.IntVar(&cfg.Zone.ViewRadius, "view-radius", 1, "cells around its own a player sees (1: the 3 × 3 block)")
	fs.IntVar(&cfg.Zone.MaxVisible, "max-visible", 0, "the most entities a player is shown at once, the nearest (0: every one within the view radius): bounds what a crowd costs gateways and clients (default: the content zone's max_visible)")
	var portalFlags []string
	fs.Func("portal", "a portal of a generated map, \"x0,y0,x1,y1,ZONE,arrive-x,arrive-y\" (metres; repeatable): stepping in hands the player off to ZONE there (a map file has portal lines instead)", func(v string) error {
		portalFlags = append(portalFlags, v)
		return nil
	})
	poolTemplates := fs.String("pool", "", "run as an instance node of the realm's pool that can load these instance templates of the content (comma-separated): it holds no instance until the realm has it load one")
	exit := fs.String("exit", "", "with --pool: ZONE@x,y, where an instance's exit portal (around its entry) leads, and where players of a lost instance go")
	releaseAfter := fs.Duration("release-after", zone.DefaultReleaseAfter, "with --pool: how long an instance stays with no one before it is released to the pool")
	fs.BoolVar(&nf.unlisted, "fleet", false, "with --pool: an instance node of an Agones fleet, not in the registry (--id is its game server's name, --listen its link address): realm nodes allocate it through Agones, and it shuts down once it releases its copy")
	worldFile := fs.String("world", "", "the realm's world map file (see world.LoadWorldMap): the zones beyond this one's edges")
	edges := map[zone.Edge]*string{}
	for e := zone.East; e <= zone.South; e++ {
		edges[e] = fs.String(e.String(), "", "the zone node beyond the map's "+e.String()+" edge (a registry id): players walking off it are handed off there")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	set, err := loadContent(*contentDir)
	if err != nil {
		return err
	}
	cfg.Content = set
	setFlags := given(fs)
	role := registry.RoleZone
	if *poolTemplates != "" {
		role = registry.RoleInstance // a node of the realm's instance pool
	}
	ncfg, err := nf.config(role)
	if err != nil {
		return err
	}
	db, err := zoneDB(&nf, ncfg)
	if err != nil {
		return err
	}
	portals, mapSize, err := zoneGround(&cfg, set, setFlags, *mapFile, size, *obstacles, *instance != "" || *poolTemplates != "")
	if err != nil {
		return err
	}
	zoneMaxVisible(&cfg, set, setFlags)
	if *instance != "" {
		if cfg.Instance, err = instanceTemplate(set, *instance, *playerCap); err != nil {
			return err
		}
	}
	cfg.Node, cfg.DB = ncfg, db.ID
	cfg.Node.Peers = []node.Peer{db}
	if err := zoneLinks(&nf, &cfg, *worldFile, edges, portals, portalFlags, mapSize); err != nil {
		return err
	}
	if err := zonePool(&nf, &cfg, *poolTemplates, *exit, *releaseAfter, *playerCap); err != nil {
		return err
	}
	cfg.Fault = crashAt(os.Getenv("GRIDREALM_FAULT"))
	reload, err := watchDir(*watch, *contentDir)
	if err != nil {
		return err
	}
	return serveZone(cfg, nf.id, nf.unlisted, reload)
}

// watchDir is the content directory --watch reloads ("" without it).
func watchDir(watch bool, dir string) (string, error) {
	switch {
	case !watch:
		return "", nil
	case dir == "default":
		return "", fmt.Errorf("%w: --watch needs --content DIR (the shipped content is built in)", errUsage)
	}
	return dir, nil
}

// given returns the names of the flags given on the command line.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// zoneMaxVisible takes the content zone's max_visible unless
// --max-visible was given.
func zoneMaxVisible(cfg *zone.Config, set *content.Set, setFlags map[string]bool) {
	if d := set.Zones[cfg.ContentZone]; d != nil && !setFlags["max-visible"] {
		cfg.Zone.MaxVisible = d.MaxVisible
	}
}

// zoneGround picks an open zone's map: the content zone's, unless --map,
// --size or --obstacles give another (an instance node's comes with its
// template). It returns the map file's portals and the map's edge.
func zoneGround(cfg *zone.Config, set *content.Set, setFlags map[string]bool, mapFile string, size, obstacles float64, instance bool) ([]world.Portal, float32, error) {
	var portals []world.Portal
	d := set.Zones[cfg.ContentZone]
	switch {
	case d == nil && !instance:
		return nil, 0, fmt.Errorf("%w: --zone-content %s: the content has no such zone", errUsage, cfg.ContentZone)
	case d != nil && !instance && mapFile == "" && !setFlags["size"] && !setFlags["obstacles"]:
		if d.Ground.Terrain != nil {
			cfg.Zone.Terrain, portals = d.Ground.Terrain, d.Ground.Portals
		} else {
			size, obstacles = float64(d.Ground.Map.Width), d.Ground.Map.Obstacles
		}
	}
	if mapFile != "" {
		var err error
		if cfg.Zone.Terrain, portals, err = loadMapFile(mapFile); err != nil {
			return nil, 0, err
		}
	}
	if size < 64 || size > 30000 || obstacles >= 0.5 {
		return nil, 0, fmt.Errorf("%w: --size %v, --obstacles %v: want 64..30000 metres, and a share below 0.5 (negative: none)", errUsage, size, obstacles)
	}
	cfg.Zone.Map = world.MapConfig{Width: float32(size), Height: float32(size), Obstacles: obstacles}
	return portals, float32(size), nil
}

// zoneDB is the db a zone node claims and saves its players in: its
// realm's. An instance node every realm shares uses the db of the realm
// whose copy it holds (each load names it); until the first, the first
// realm's.
func zoneDB(nf *nodeFlags, ncfg node.Config) (node.Peer, error) {
	if ncfg.Realm == "" && nf.reg != nil {
		if rs := nf.reg.ByRole("", registry.RoleRealm); len(rs) > 0 {
			ncfg.Realm = rs[0].Realm
		}
	}
	return nf.peer(ncfg, registry.RoleDB, "", "")
}

// serveZone runs the zone node until SIGINT or SIGTERM, telling an
// orchestrator (Agones, when the process runs under it) how it is.
func serveZone(cfg zone.Config, id string, fleet bool, watchDir string) error {
	life, err := agones.FromEnv()
	if err != nil {
		return err
	}
	if fleet {
		// One copy per game server: once released, it goes, and the fleet
		// makes a fresh one.
		cfg.Pool.OnRelease = func() {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				life.Shutdown(ctx)
			}()
		}
	}
	zn, err := zone.Start(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := untilSignal()
	defer cancel()
	if watchDir != "" {
		if err := zn.WatchContent(ctx, watchDir); err != nil {
			zn.Stop()
			return err
		}
	}
	if err := orchestrated(ctx, life, id, zn.LastTick); err != nil {
		zn.Stop()
		return err
	}
	<-ctx.Done()
	// Draining: Agones may delete the pod once the players' checkpoints
	// are saved, which Stop does.
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	life.Shutdown(sctx)
	scancel()
	zn.Stop()
	return nil
}

// zoneLinks fills in the zone's neighbours beyond its edges (the flags,
// else the world map) and the zones its portals lead to (from the map
// file, and --portal for a generated map), with their link addresses from
// the registry.
func zoneLinks(nf *nodeFlags, cfg *zone.Config, worldFile string, edges map[zone.Edge]*string, portals []world.Portal, portalFlags []string, size float32) error {
	if err := worldNeighbours(worldFile, cfg.Node.ID, edges); err != nil {
		return err
	}
	if nf.reg != nil {
		if rs := nf.reg.ByRole(cfg.Node.Realm, registry.RoleRealm); len(rs) > 0 {
			cfg.Realm = zone.Neighbour{Zone: rs[0].ID, Addr: rs[0].Addr}
		}
	}
	for e := zone.East; e <= zone.South; e++ {
		if *edges[e] == "" {
			continue
		}
		n, ok := nf.registryNode(*edges[e])
		if !ok || n.Role != registry.RoleZone {
			return fmt.Errorf("%w: --%s %s: no zone node of that id in the registry", errUsage, e, *edges[e])
		}
		cfg.Neighbours = append(cfg.Neighbours, zone.Neighbour{Edge: e, Zone: n.ID, Addr: n.Addr})
	}
	w, h := size, size
	if cfg.Zone.Terrain != nil {
		w, h = cfg.Zone.Terrain.Size()
	}
	for _, v := range portalFlags {
		p, err := world.ParsePortal(strings.Split(v, ","), w, h)
		if err != nil {
			return fmt.Errorf("%w: --portal %s: %v", errUsage, v, err)
		}
		portals = append(portals, p)
	}
	for _, p := range portals {
		if strings.HasPrefix(p.Zone, zone.InstancePrefix) {
			cfg.Portals = append(cfg.Portals, zone.Portal{Portal: p}) // the realm says where
			continue
		}
		n, ok := nf.registryNode(p.Zone)
		if !ok || n.Role != registry.RoleZone {
			return fmt.Errorf("%w: portal to %s: no zone node of that id in the registry", errUsage, p.Zone)
		}
		cfg.Portals = append(cfg.Portals, zone.Portal{Portal: p, Addr: n.Addr})
	}
	return nil
}

// orchestrated tells an orchestrator (Agones, when the process runs under
// it) that the zone is ready, its map loaded, and keeps telling it the
// tick loop runs.
func orchestrated(ctx context.Context, life agones.Lifecycle, id string, lastTick func() time.Time) error {
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := life.Ready(rctx); err != nil {
		return fmt.Errorf("zone %s: %w", id, err)
	}
	if err := life.SetLabel(rctx, "zone", id); err != nil {
		return fmt.Errorf("zone %s: %w", id, err)
	}
	const every = 2 * time.Second
	go agones.KeepHealthy(ctx, life, every, func() bool { return time.Since(lastTick()) < every })
	return nil
}

// worldNeighbours fills in the edges the flags leave empty from the world
// map file, if any.
func worldNeighbours(file, id string, edges map[zone.Edge]*string) error {
	if file == "" {
		return nil
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := world.LoadWorldMap(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	east, west, north, south, ok := m.Neighbours(id)
	if !ok {
		return fmt.Errorf("%s: zone %s is not on the world map", file, id)
	}
	for e, n := range map[zone.Edge]string{zone.East: east, zone.West: west, zone.North: north, zone.South: south} {
		if *edges[e] == "" {
			*edges[e] = n
		}
	}
	return nil
}

// zonePool makes the zone node an instance node of the pool, with --pool.
func zonePool(nf *nodeFlags, cfg *zone.Config, templates, exit string, releaseAfter time.Duration, playerCap int) error {
	if templates == "" {
		if nf.unlisted {
			return fmt.Errorf("%w: --fleet is for an instance node (--pool)", errUsage)
		}
		return nil
	}
	p := &zone.PoolConfig{Templates: map[string]*world.InstanceTemplate{}, ReleaseAfter: releaseAfter}
	self, _ := nf.registryNode(nf.id)
	if nf.reg != nil && self.Realm == "" {
		// Every realm shares this node: each realm node may have it load a
		// copy, naming its db and its exit.
		for _, e := range nf.reg.ByRole("", registry.RoleRealm) {
			p.Realms = append(p.Realms, zone.Neighbour{Zone: e.ID, Addr: e.Addr})
		}
		cfg.Realm = zone.Neighbour{}
	}
	if exit != "" || len(p.Realms) == 0 {
		n, x, y, err := exitFlag(nf, exit)
		if err != nil {
			return fmt.Errorf("%w: --pool needs --exit ZONE@x,y: %v", errUsage, err)
		}
		p.Exit, p.ExitX, p.ExitY = n, x, y
	}
	for _, name := range strings.Split(templates, ",") {
		t, err := instanceTemplate(cfg.Content, name, playerCap)
		if err != nil {
			return err
		}
		p.Templates[name] = t
	}
	cfg.Pool = p
	// Idle, it ticks a small empty world.
	cfg.Zone.Map, cfg.Zone.Terrain, cfg.NPCs, cfg.Instance = world.MapConfig{Width: 64, Height: 64, Obstacles: -1}, nil, 0, nil
	return nil
}

// exitFlag reads ZONE@x,y: a zone node of the registry and a point in it.
func exitFlag(nf *nodeFlags, v string) (zone.Neighbour, float32, float32, error) {
	at, xy, ok := strings.Cut(v, "@")
	xs, ys, ok2 := strings.Cut(xy, ",")
	x, errx := strconv.ParseFloat(xs, 32)
	y, erry := strconv.ParseFloat(ys, 32)
	if !ok || !ok2 || errx != nil || erry != nil || x < 0 || y < 0 {
		return zone.Neighbour{}, 0, 0, fmt.Errorf("want ZONE@x,y, got %q", v)
	}
	n, found := nf.registryNode(at)
	if !found || n.Role != registry.RoleZone {
		return zone.Neighbour{}, 0, 0, fmt.Errorf("%s: no zone node of that id in the registry", at)
	}
	return zone.Neighbour{Zone: n.ID, Addr: n.Addr}, float32(x), float32(y), nil
}

// instanceTemplate is an instance template of the content, with the
// node's player cap when set.
func instanceTemplate(set *content.Set, name string, playerCap int) (*world.InstanceTemplate, error) {
	if playerCap < 0 {
		return nil, fmt.Errorf("%w: --player-cap must not be negative", errUsage)
	}
	t, err := set.InstanceTemplate(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if playerCap > 0 {
		t.PlayerCap = playerCap
	}
	return t, nil
}

func loadMapFile(path string) (*spatial.Terrain, []world.Portal, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	t, portals, err := world.LoadMapFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, portals, nil
}

// registryNode returns a node's registry entry (none without a registry).
func (nf *nodeFlags) registryNode(id string) (registry.Entry, bool) {
	if nf.reg == nil {
		return registry.Entry{}, false
	}
	return nf.reg.Node(id)
}

// crashAt returns the fault hook of GRIDREALM_FAULT, for crash tests:
// "POINT@FILE" makes the process SIGKILL itself when it reaches the named
// point of a procedure (see zone.Config.Fault) — once: FILE is created
// then, and a process that finds it there does not crash again (the
// reviver restarts the node with the same command). Empty: no hook.
func crashAt(spec string) func(string) {
	point, marker, ok := strings.Cut(spec, "@")
	if spec == "" || !ok || marker == "" {
		return nil
	}
	return func(at string) {
		if at != point {
			return
		}
		f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return // crashed here once already
		}
		f.Close()
		fmt.Fprintf(os.Stderr, "GRIDREALM_FAULT: killed at %s\n", at)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
}
