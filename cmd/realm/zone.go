package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/world"
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
	fs.IntVar(&cfg.NPCs, "npcs", 1000, "NPCs spread over the map")
	mapFile := fs.String("map", "", "map file instead of a generated map (see world.LoadMap)")
	instance := fs.String("instance", "", "run a copy of an instance template of this name (a dungeon: small map, NPC camps, a player cap) instead of an open zone")
	playerCap := fs.Int("player-cap", 5, "players one instance copy admits (with --instance)")
	camps := fs.Int("camps", 6, "NPC camps of an instance, 5 NPCs each (with --instance)")
	fs.DurationVar(&cfg.Checkpoint, "checkpoint", zone.DefaultCheckpoint, "how often players' positions are saved: the most a zone crash can roll a position back")
	fs.IntVar(&cfg.Zone.ViewRadius, "view-radius", 1, "cells around its own a player sees (1: the 3 × 3 block)")
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
	if *instance != "" {
		if *playerCap < 1 || *camps < 0 || *camps > 1000 {
			return fmt.Errorf("%w: --player-cap must be ≥ 1 and --camps 0..1000", errUsage)
		}
		cfg.Instance = dungeon(*instance, cfg.Zone.Terrain, cfg.Zone.Map, *playerCap, *camps)
	}
	cfg.Node, cfg.DB = ncfg, db.ID
	cfg.Node.Peers = []node.Peer{db}
	zn, err := zone.Start(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	zn.Stop()
	return nil
}

// dungeon is the built-in instance template: camps of 5 NPCs on a ring
// around the entry at the map's centre, stronger the farther round the
// ring.
func dungeon(name string, terrain *spatial.Terrain, m world.MapConfig, playerCap, camps int) *world.InstanceTemplate {
	t := &world.InstanceTemplate{Name: name, Terrain: terrain, Map: m, PlayerCap: playerCap,
		EntryX: m.Width / 2, EntryY: m.Height / 2}
	if terrain != nil {
		w, h := terrain.Size()
		t.EntryX, t.EntryY = w/2, h/2
	}
	r := min(t.EntryX, t.EntryY) * 2 / 3
	for i := 0; i < camps; i++ {
		a := 2 * math.Pi * float64(i) / float64(camps)
		t.Spawns = append(t.Spawns, world.NPCSpawn{X: t.EntryX + r*float32(math.Cos(a)), Y: t.EntryY + r*float32(math.Sin(a)),
			Template: uint16(100 + i), Level: uint8(min(60, 10+5*i)), Count: 5, Radius: 12})
	}
	return t
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
