package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/gridrealm/gridrealm/tools/dbbench"
	"github.com/gridrealm/gridrealm/tools/livebench"
	"github.com/gridrealm/gridrealm/tools/zonebench"
)

func runBench(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: realm bench zone [flags]", errUsage)
	}
	switch args[0] {
	case "zone":
		return benchZone(args[1:], stdout, stderr)
	case "db":
		return benchDB(args[1:], stdout, stderr)
	case "gateway":
		return benchGateway(args[1:], stdout, stderr)
	default:
		return fmt.Errorf("%w: unknown benchmark %q (zone, db, gateway)", errUsage, args[0])
	}
}

// benchGateway measures the live path's cost per player: a whole realm of
// processes, a swarm of QUIC clients in this one (tools/livebench).
func benchGateway(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm bench gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg livebench.Config
	fs.IntVar(&cfg.Players, "players", 1000, "players (bots over real QUIC, in this process)")
	fs.StringVar(&cfg.Scenario, "scenario", livebench.Crowd, "crowd (every player within 12 m of one point) or spread (wandering over the zone)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "the measured steady phase")
	fs.Float64Var(&cfg.Ramp, "ramp", 100, "players connecting per second before it")
	fs.IntVar(&cfg.PortBase, "port-base", 24100, "first port of the realm under test")
	fs.StringVar(&cfg.Dir, "data", "", "the realm's data directory (default: a temporary one, removed after)")
	fs.DurationVar(&cfg.InputEvery, "input-every", 0, "how often a bot sends an unchanged intent (0: 100 ms, as client.Conn.Steer; negative: an input every tick)")
	fs.StringVar(&cfg.GatewayProfile, "gateway-profile", "", "write a CPU profile of the first gateway over the measured window to this file")
	fs.StringVar(&cfg.SwarmProfile, "swarm-profile", "", "write a CPU profile of the swarm (this process) over the measured window to this file")
	fs.IntVar(&cfg.MaxVisible, "max-visible", 0, "the zones' --max-visible: the most entities a player is shown, the nearest (0: every one in view)")
	fs.IntVar(&cfg.SnapshotEvery, "snapshot-every", 1, "the gateways' --snapshot-every: zone ticks between one player's snapshots")
	fs.Bool("json", true, "print JSON (the only output format)")
	if err := parse(fs, args); err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	cfg.Bin = bin
	ctx, cancel := untilSignal()
	defer cancel()
	return profiled("", stdout, func() (any, error) { return livebench.Run(ctx, cfg) })
}

func benchZone(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm bench zone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg zonebench.Config
	fs.IntVar(&cfg.Players, "players", 1000, "simulated players")
	fs.IntVar(&cfg.NPCs, "npcs", 5000, "NPCs")
	fs.IntVar(&cfg.Ticks, "ticks", 200, "ticks to measure")
	fs.IntVar(&cfg.Warmup, "warmup", 200, "ticks to run before measuring: the zone settles from its spawn positions (10 s at 20 Hz)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the map and the world")
	fs.StringVar(&cfg.Scenario, "scenario", "spread", "spread (entities over a map sized to the count) or clump (every player inside one 100 m circle)")
	fs.IntVar(&cfg.Gateways, "gateways", 4, "gateways the players are spread over")
	fs.IntVar(&cfg.CellSize, "cell", 32, "interest cell size in metres")
	fs.Bool("json", true, "print JSON (the only output format)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	fs.StringVar(&cfg.AllocProfile, "allocprofile", "", "write the allocations to this file (a pprof profile; every one of the measured ticks)")
	contentDir := fs.String("content", "", "a content directory (\"default\": the shipped one): its rules, NPC templates and scripts run in the bench")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *contentDir != "" {
		set, err := loadContent(*contentDir)
		if err != nil {
			return err
		}
		cfg.Content = set
	}
	return profiled(*cpuProfile, stdout, func() (any, error) { return zonebench.Run(cfg) })
}

// profiled runs a bench, with a CPU profile if path is set, and prints its
// result as indented JSON.
func profiled(path string, stdout io.Writer, bench func() (any, error)) error {
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := bench()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

func benchDB(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm bench db", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg dbbench.Config
	fs.IntVar(&cfg.Clients, "clients", 64, "concurrent clients")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of the transfer phase")
	fs.IntVar(&cfg.Characters, "characters", 10000, "characters")
	fs.IntVar(&cfg.Items, "items", 100000, "items")
	fs.StringVar(&cfg.Dir, "dir", "", "scratch directory (default: a temporary one, removed after)")
	fs.Bool("json", true, "print JSON (the only output format)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	return profiled(*cpuProfile, stdout, func() (any, error) { return dbbench.Run(cfg) })
}
