package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// runReviver keeps the nodes of a registry that have a restart command
// running until a signal stops it (and them). With a state directory (the
// reviver entry's data, or --state) it is one of a pair: it acts only while
// it holds the lease kept there, and stands by otherwise.
func runReviver(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm reviver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	regFile := fs.String("registry", "", "registry file: the nodes to keep running")
	id := fs.String("id", "", "this reviver's entry in the registry (default: the first reviver entry)")
	admin := fs.String("admin", "", "address of the reviver's /healthz, /metrics, /events and admin actions (default: its entry's; - for none)")
	state := fs.String("state", "", "directory shared with the other reviver: the lease, the nodes' pid files and logs (default: its entry's data; - to run alone, the nodes dying with it)")
	var cfg reviver.Config
	fs.DurationVar(&cfg.DeadAfter, "dead-after", reviver.DefaultDeadAfter, "how long a node may fail its health check before it is restarted")
	fs.DurationVar(&cfg.CheckEvery, "check-every", reviver.DefaultCheckEvery, "how often each node's /healthz is asked")
	fs.DurationVar(&cfg.BackoffMin, "backoff-min", reviver.DefaultBackoffMin, "the first wait before a restart (it doubles while a node keeps dying)")
	fs.IntVar(&cfg.CycleLimit, "cycle-limit", reviver.DefaultCycleLimit, "crashes within --cycle-window that make a restart cycle (the node is given up on)")
	fs.DurationVar(&cfg.CycleWindow, "cycle-window", reviver.DefaultCycleWindow, "the window of --cycle-limit")
	fs.DurationVar(&cfg.LeaseTTL, "lease-ttl", reviver.DefaultLeaseTTL, "how long the standby waits on an unrenewed lease before it takes over")
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
	entry, err := reviverEntry(reg, *id)
	if err != nil {
		return err
	}
	cfg.ID = entry.ID
	if cfg.Admin = *admin; cfg.Admin == "" {
		cfg.Admin = entry.Admin
	}
	if cfg.State = *state; cfg.State == "" {
		cfg.State = entry.Data
	}
	if cfg.State == "-" {
		cfg.State = ""
	}
	// Its output may be a pipe to whoever started it: if that one dies, a
	// write fails rather than killing the reviver in the middle of its work.
	signal.Ignore(syscall.SIGPIPE)
	cfg.Registry, cfg.Out = reg, stdout
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})) // the events are on stdout
	cfg.OnEvent = func(e reviver.Event) { fmt.Fprintf(stdout, "%s %s\n", e.At.Format(time.TimeOnly), e) }
	rv, err := reviver.Start(cfg)
	if err != nil {
		return err
	}
	if a := rv.AdminAddr(); a != "" {
		fmt.Fprintf(stdout, "reviver %s: events on http://%s/events\n", cfg.ID, a)
	}
	if cfg.State != "" && !rv.Active() {
		l, _ := reviver.ReadLease(cfg.State)
		holder := l.Holder + " holds the lease"
		if l.Holder == cfg.ID {
			holder = "its own lease from before it restarted must run out first"
		}
		fmt.Fprintf(stdout, "reviver %s: standing by (%s, epoch %d)\n", cfg.ID, holder, l.Epoch)
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	return rv.Stop()
}

// reviverEntry returns the registry's reviver entry id, or its first one.
func reviverEntry(reg *registry.Registry, id string) (registry.Entry, error) {
	if id != "" {
		e, ok := reg.Node(id)
		if !ok || e.Role != registry.RoleReviver {
			return e, fmt.Errorf("%w: --id %s: no reviver of that id in the registry", errUsage, id)
		}
		return e, nil
	}
	if rv := reg.ByRole("", registry.RoleReviver); len(rv) > 0 {
		return rv[0], nil
	}
	return registry.Entry{ID: "reviver", Admin: "127.0.0.1:0"}, nil
}
