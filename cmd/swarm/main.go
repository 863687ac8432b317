package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/tools/launch"
	"github.com/gridrealm/gridrealm/tools/swarm"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o, code := parseFlags(args, stderr)
	if o == nil {
		return code
	}
	if !o.quiet && isTerminal(os.Stderr) {
		o.cfg.Progress = func(p swarm.Progress) {
			fmt.Fprintf(stderr, "\r%4.0fs  %d/%d bots connected  %.0f msg/s  snapshot age p99 %.1f ms  errors %d\x1b[K",
				p.Elapsed.Seconds(), p.Connected, p.Bots, p.MessagesPerSec, p.AgeP99Ms, p.Errors)
		}
	}
	if o.procs > 0 {
		runtime.GOMAXPROCS(o.procs)
	}
	if o.cpuProfile != "" {
		stop, err := startProfile(o.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "swarm: %v\n", err)
			return 2
		}
		defer stop()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	rep, err := swarm.Run(ctx, o.cfg)
	if o.cfg.Progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "swarm: %v\n", err)
		return 2
	}
	return report(rep, o, stdout, stderr)
}

// options are the parsed command line.
type options struct {
	cfg                swarm.Config
	jsonFile, htmlFile string
	maxP99             float64
	maxErrors          int64
	refusedOK          bool
	quiet              bool
	cpuProfile         string
	procs              int
}

// parseFlags returns the options, or nil and the exit code.
func parseFlags(args []string, stderr io.Writer) (*options, int) {
	fs := flag.NewFlagSet("swarm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	cfg := &o.cfg
	fs.StringVar(&cfg.Login, "login", launch.DevLoginAddrs(launch.DefaultPortBase), "login nodes' player addresses, comma-separated (the default is where a default realm up listens)")
	ca := fs.String("ca", filepath.Join("data", "cert.pem"), "certificate the realm's players trust (realm up writes it into its data dir)")
	serverName := fs.String("server-name", "", "the name the login and gateway certificates must carry (default: the host of each address dialed)")
	fs.StringVar(&cfg.Realm, "realm", "dev", "realm to play on")
	fs.StringVar(&cfg.Accounts, "accounts", "bot", "account name prefix: bot i logs in as PREFIX<first+i>")
	fs.IntVar(&cfg.First, "first", 0, "number of the first bot account")
	fs.StringVar(&cfg.Password, "password", "bot", "the bots' password (realm up --dev-accounts uses \"bot\")")
	fs.IntVar(&cfg.Bots, "bots", 100, "how many bots")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "length of the steady phase, which begins once every bot has connected (or failed)")
	fs.Float64Var(&cfg.Ramp, "ramp", 50, "bots started per second (0: all at once)")
	fs.DurationVar(&cfg.DeadAfter, "dead-after", 0, "how long a bot's gateway may stay silent before the bot counts the connection as lost and resumes elsewhere (0: the client's default, 1 s)")
	fs.DurationVar(&cfg.RampTimeout, "ramp-timeout", 3*time.Minute, "bots not connected this long after the start count as failed")
	fs.DurationVar(&cfg.Settle, "settle", swarm.DefaultSettle, "after a ramp that left bots out (in a line, told to retry, failed), wait this long before the steady phase: they give up together, and closing their connections is the swarm's own burst (negative: no wait)")
	behavior := fs.String("behavior", "wander", "wander, clump, follow, travel (east into the next zone and back, again and again: handoffs) or trade (fight NPCs for loot and trade it with the bots nearby)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the bots' choices")
	fs.Float64Var(&cfg.DropRate, "drop", 0, "share of snapshot datagrams each bot throws away (a lossy network)")
	fs.DurationVar(&cfg.InputEvery, "input-every", 0, "how often a bot sends an unchanged intent, with its snapshot acknowledgement (0: 100 ms; a changed one goes at once; negative: an input every tick)")
	fs.BoolVar(&cfg.Names, "names", false, "bots ask who the entities they see are, as a client drawing names would (WhoIs), and the report says how long the answers took")
	fs.BoolVar(&cfg.Fight, "fight", false, "bots hold the attack action: they hit NPCs in range, and NPCs they kill drop loot (items in the db)")
	fs.StringVar(&o.jsonFile, "json", "", "write the report as JSON to this file (- for stdout)")
	fs.StringVar(&o.htmlFile, "html", "", "write the report as a self-contained HTML page with plots")
	fs.Float64Var(&o.maxP99, "max-p99-ms", -1, "fail (exit 1) when the steady phase's snapshot age p99 exceeds this many ms (negative: not checked)")
	fs.Int64Var(&o.maxErrors, "max-errors", 0, "fail (exit 1) when errors (failed bots + disconnects + budget violations) exceed this (negative: not checked)")
	fs.BoolVar(&o.refusedOK, "refused-ok", false, "an overload run: bots the realm turned away with a reason and a retry hint (busy, in line) are not errors (each still has its reason in the report)")
	fs.BoolVar(&o.quiet, "quiet", false, "no live progress line")
	fs.IntVar(&o.procs, "procs", 0, "OS threads running the swarm's Go code at once (GOMAXPROCS; 0: one per CPU)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the swarm itself to this file (the realm's nodes serve theirs on their admin ports)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	cfg.Behavior = swarm.Behavior(*behavior)
	err := checkFlags(fs, cfg)
	if err == nil && (o.procs < 0 || o.procs > 1024) {
		err = fmt.Errorf("--procs %d: want 0..1024", o.procs)
	}
	if err != nil {
		fmt.Fprintf(stderr, "swarm: %v\n", err)
		return nil, 2
	}
	certPEM, err := os.ReadFile(*ca)
	if err != nil {
		fmt.Fprintf(stderr, "swarm: the realm's certificate: %v (start a realm with make run or realm up, or pass --ca)\n", err)
		return nil, 2
	}
	if cfg.TLS, err = pquic.ClientTLSFor(certPEM, *serverName); err != nil {
		fmt.Fprintf(stderr, "swarm: %s: %v\n", *ca, err)
		return nil, 2
	}
	return o, 0
}

// checkFlags rejects impossible values, naming the flag.
func checkFlags(fs *flag.FlagSet, cfg *swarm.Config) error {
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case cfg.Bots < 1 || cfg.Bots > 100000:
		return fmt.Errorf("--bots %d: want 1..100000", cfg.Bots)
	case cfg.RampTimeout <= 0:
		return fmt.Errorf("--ramp-timeout %v: want more than 0", cfg.RampTimeout)
	case cfg.Duration <= 0 || cfg.Duration > 24*time.Hour:
		return fmt.Errorf("--duration %v: want more than 0 and at most 24h", cfg.Duration)
	}
	return nil
}

// startProfile profiles the swarm's CPU into file until stop.
func startProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// report writes the report and returns the exit code its verdict gives.
func report(rep *swarm.Report, o *options, stdout, stderr io.Writer) int {
	pass := rep.Judge(o.maxP99, o.maxErrors, o.refusedOK)
	rep.WriteTable(stdout)
	if err := writeFile(o.jsonFile, stdout, rep.WriteJSON); err != nil {
		fmt.Fprintf(stderr, "swarm: %v\n", err)
		return 2
	}
	if err := writeFile(o.htmlFile, stdout, rep.WriteHTML); err != nil {
		fmt.Fprintf(stderr, "swarm: %v\n", err)
		return 2
	}
	if !pass {
		return 1
	}
	return 0
}

// writeFile writes with write into path ("" for nothing, - for stdout).
func writeFile(path string, stdout io.Writer, write func(io.Writer) error) error {
	switch path {
	case "":
		return nil
	case "-":
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
