package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// runReviver starts every node of a registry that has a restart command
// and keeps them running until a signal stops it (and them).
func runReviver(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm reviver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	regFile := fs.String("registry", "", "registry file: the nodes to keep running")
	admin := fs.String("admin", "", "address of the reviver's /healthz, /metrics, /events and admin actions (default: the registry's reviver entry; - for none)")
	var cfg reviver.Config
	fs.DurationVar(&cfg.DeadAfter, "dead-after", reviver.DefaultDeadAfter, "how long a node may fail its health check before it is restarted")
	fs.IntVar(&cfg.CycleLimit, "cycle-limit", reviver.DefaultCycleLimit, "crashes within --cycle-window that make a restart cycle (the node is given up on)")
	fs.DurationVar(&cfg.CycleWindow, "cycle-window", reviver.DefaultCycleWindow, "the window of --cycle-limit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *regFile == "" {
		return fmt.Errorf("%w: realm reviver needs --registry", errUsage)
	}
	reg, err := registry.Load(*regFile)
	if err != nil {
		return err
	}
	if *admin == "" {
		*admin = reviverAdmin(reg)
	}
	cfg.Registry, cfg.Out, cfg.Admin = reg, stdout, *admin
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	rv, err := reviver.Start(cfg)
	if err != nil {
		return err
	}
	if a := rv.AdminAddr(); a != "" {
		fmt.Fprintf(stderr, "reviver: events on http://%s/events\n", a)
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	return rv.Stop()
}
