package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/launch"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// runUp starts a whole realm on this machine, each node its own process.
func runUp(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "data directory: registry, secret and every node's data (reused by the next realm up)")
	portBase := fs.Int("port-base", launch.DefaultPortBase, "first port of a new realm: links from base+1, players from base+1001, admin from base+2001")
	devAccounts := fs.Int("dev-accounts", 0, "create accounts bot0..botN-1 (password \"bot\") for bots and tests")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *portBase < 1024 || *portBase > 60000 {
		return fmt.Errorf("%w: --port-base %d: want 1024..60000", errUsage, *portBase)
	}
	reg, path, err := prepareUp(*data, *portBase, *devAccounts)
	if err != nil {
		return err
	}
	var outMu sync.Mutex
	say := func(format string, a ...any) {
		outMu.Lock()
		fmt.Fprintf(stdout, format, a...)
		outMu.Unlock()
	}
	rv, err := reviver.Start(reviver.Config{Registry: reg, Out: stdout, Admin: reviverAdmin(reg),
		Logger: slog.New(slog.DiscardHandler), OnEvent: func(e reviver.Event) {
			if e.Kind != reviver.Started {
				say("%s\n", e)
			}
		}})
	if err != nil {
		return err
	}
	pids := rv.Running()
	say("realm %q is up under a reviver (registry %s):\n", launch.DevRealm, path)
	for _, e := range reg.Nodes {
		if pids[e.ID] == 0 {
			continue
		}
		line := fmt.Sprintf("  %-14s %-22s pid %-7d link %-16s admin http://%s/healthz", e.ID, launch.Describe(e), pids[e.ID], e.Addr, e.Admin)
		if e.Public != "" {
			line += "  players " + e.Public
		}
		say("%s\n", line)
	}
	if a := rv.AdminAddr(); a != "" {
		say("  the reviver's events: http://%s/events (and /metrics)\n", a)
	}
	say("Players trust %s.\n", filepath.Join(filepath.Dir(path), "cert.pem"))
	say("A node that dies is restarted. Ctrl-C stops everything.\n")
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	say("stopping...\n")
	return stopUp(rv, reg, say)
}

// prepareUp loads or makes the registry of a realm in data, its dev
// certificate, and the dev accounts.
func prepareUp(data string, portBase, devAccounts int) (*registry.Registry, string, error) {
	bin, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	reg, path, err := launch.LoadOrCreate(data, bin, portBase)
	if err != nil {
		return nil, "", err
	}
	// One certificate for every player-facing node, made before they start.
	if _, _, err := pquic.LoadOrCreateDevCert(filepath.Dir(path)); err != nil {
		return nil, "", err
	}
	if devAccounts > 0 {
		if err := launch.DevAccounts(reg, devAccounts); err != nil {
			return nil, "", err
		}
	}
	return reg, path, nil
}

// stopUp stops the reviver and every node; it fails when a node had to be
// killed, or when the reviver gave up on one during the run.
func stopUp(rv *reviver.Reviver, reg *registry.Registry, say func(string, ...any)) error {
	var gaveUp []string
	for _, e := range reg.Nodes {
		if rv.GaveUp(e.ID) {
			gaveUp = append(gaveUp, e.ID)
		}
	}
	if err := rv.Stop(); err != nil {
		return err
	}
	say("stopped: no node left running\n")
	if len(gaveUp) > 0 {
		return fmt.Errorf("the reviver gave up on %s (restart cycles): see its events above", strings.Join(gaveUp, ", "))
	}
	return nil
}

// reviverAdmin is where a reviver serves its events and admin actions:
// the admin address of the registry's reviver entry, or any free port.
func reviverAdmin(reg *registry.Registry) string {
	if rv := reg.ByRole("", registry.RoleReviver); len(rv) > 0 && rv[0].Admin != "" {
		return rv[0].Admin
	}
	return "127.0.0.1:0"
}
