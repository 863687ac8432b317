package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/zonenode"
)

// runZone runs a zone node: the zone runtime as a node, its db from the
// registry.
func runZone(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm zone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nf nodeFlags
	nf.register(fs, "ZONE-1")
	var cfg zonenode.Config
	fs.Uint64Var(&cfg.Zone.Seed, "seed", 1, "seed of the map and the world")
	var size float64
	fs.Float64Var(&size, "size", 1024, "edge of the generated map, metres")
	fs.IntVar(&cfg.NPCs, "npcs", 1000, "NPCs spread over the map")
	mapFile := fs.String("map", "", "map file instead of a generated map (see world.LoadMap)")
	if err := parse(fs, args); err != nil {
		return err
	}
	ncfg, err := nf.config(registry.RoleZone)
	if err != nil {
		return err
	}
	db, err := nf.peer(ncfg, registry.RoleDB, "", "")
	if err != nil {
		return err
	}
	if *mapFile != "" {
		if cfg.Zone.Terrain, err = loadMapFile(*mapFile); err != nil {
			return err
		}
	}
	if size < 64 || size > 30000 {
		return fmt.Errorf("%w: --size %v: want 64..30000 metres", errUsage, size)
	}
	cfg.Zone.Map = world.MapConfig{Width: float32(size), Height: float32(size)}
	cfg.Node, cfg.DB = ncfg, db.ID
	cfg.Node.Peers = []node.Peer{db}
	zn, err := zonenode.Start(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	zn.Stop()
	return nil
}

func loadMapFile(path string) (*spatial.Terrain, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := world.LoadMap(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
