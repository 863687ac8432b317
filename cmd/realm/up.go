package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	contentDir := fs.String("content", "", "a content directory the zones run and reload when its files change (default: the content shipped with the engine)")
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
	if err := upContent(reg, path, *contentDir); err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	rs, err := launch.StartRevivers(bin, path, reg, stdout)
	if err != nil {
		return err
	}
	pids, err := rs.NodePIDs(30 * time.Second)
	if err != nil {
		return errors.Join(err, rs.Stop())
	}
	lease, _ := reviver.ReadLease(rs.State())
	fmt.Fprintf(stdout, "realm %q is up under two revivers (%s holds the lease; registry %s):\n", launch.DevRealm, lease.Holder, path)
	for _, e := range reg.Nodes {
		if pids[e.ID] == 0 {
			continue
		}
		line := fmt.Sprintf("  %-16s %-22s pid %-7d link %-16s admin http://%s/healthz", e.ID, launch.Describe(e), pids[e.ID], e.Addr, e.Admin)
		if e.Public != "" {
			line += "  players " + e.Public
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	for _, e := range reg.ByRole("", registry.RoleReviver) {
		fmt.Fprintf(stdout, "  %-16s %-22s pid %-7d events http://%s/events\n", e.ID, "reviver", rs.PID(e.ID), e.Admin)
	}
	fmt.Fprintf(stdout, "Nodes' logs are in %s; players trust %s.\n", filepath.Join(rs.State(), "logs"), filepath.Join(filepath.Dir(path), "cert.pem"))
	fmt.Fprintf(stdout, "Admin token (actions, live views and /debug/pprof: Authorization: Bearer TOKEN): %s\n", reg.AdminToken())
	if lease.Admin != "" {
		fmt.Fprintf(stdout, "Console: http://%s/console/#token=%s\n", lease.Admin, reg.AdminToken())
	}
	fmt.Fprintf(stdout, "A node that dies is restarted, and so is a reviver. Ctrl-C stops everything.\n")
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	fmt.Fprintf(stdout, "stopping...\n")
	return stopUp(rs, stdout)
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

// stopUp stops the revivers and every node; it fails when a node had to
// be killed, or when the revivers gave up on one during the run.
func stopUp(rs *launch.Revivers, stdout io.Writer) error {
	if err := rs.Stop(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "stopped: no node left running\n")
	if l, err := reviver.ReadLease(rs.State()); err != nil {
		return err
	} else if len(l.GaveUp) > 0 {
		return fmt.Errorf("the reviver gave up on %s (restart cycles): see its events above", strings.Join(l.GaveUp, ", "))
	}
	return nil
}

// upContent checks the content directory realm up was given and has the
// zones run it (or, with none, the shipped content).
func upContent(reg *registry.Registry, path, dir string) error {
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		if _, err := loadContent(abs); err != nil {
			return fmt.Errorf("--content %s:\n%w", dir, err)
		}
		dir = abs
	}
	launch.UseContent(reg, dir)
	return reg.Save(path)
}
