package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/tools/launch"
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
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	reg, path, err := launch.LoadOrCreate(*data, bin, *portBase)
	if err != nil {
		return err
	}
	// One certificate for every player-facing node, made before they start.
	if _, _, err := pquic.LoadOrCreateDevCert(filepath.Dir(path)); err != nil {
		return err
	}
	if *devAccounts > 0 {
		if err := launch.DevAccounts(reg, *devAccounts); err != nil {
			return err
		}
	}
	realm, err := launch.Start(reg, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "realm %q is up (registry %s):\n", launch.DevRealm, path)
	for _, p := range realm.Procs {
		fmt.Fprintf(stdout, "  %-14s %-22s pid %-7d link %-16s admin http://%s/healthz", p.Entry.ID, launch.Describe(p.Entry), p.PID(), p.Entry.Addr, p.Entry.Admin)
		if p.Entry.Public != "" {
			fmt.Fprintf(stdout, "  players %s", p.Entry.Public)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "Players trust %s.\n", filepath.Join(filepath.Dir(path), "cert.pem"))
	fmt.Fprintln(stdout, "Ctrl-C stops everything.")
	ctx, cancel := untilSignal()
	defer cancel()
	exited := realm.Exited(ctx)
	var failed error
	select {
	case <-ctx.Done():
	case p := <-exited:
		failed = fmt.Errorf("%s exited (%v): the realm was stopped", p.Entry.ID, p.Err())
		fmt.Fprintf(stdout, "%s exited (%v): stopping the realm\n", p.Entry.ID, p.Err())
	}
	fmt.Fprintln(stdout, "stopping...")
	if err := realm.Stop(15 * time.Second); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped: no node left running")
	return failed
}
