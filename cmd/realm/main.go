package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// command is one subcommand.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"up", "start a whole realm on this machine (up --data ./data); Ctrl-C stops it", runUp},
		{"zone", "run a zone node (zone --registry R --id ID [--npcs N --seed S --size M | --map FILE])", runZone},
		{"realm", "run a realm node, the realm's directory (realm --registry R --id ID)", runRealmNode},
		{"gateway", "run a gateway node (gateway --registry R --id ID)", runGateway},
		{"login", "run a login node (login --registry R --id ID)", runLogin},
		{"account", "create an account in a stopped login node's store (account create --data DIR --name NAME)", runAccount},
		{"db", "run the db node (db --data DIR), or dump a stopped one (db dump --data DIR --json)", runDB},
		{"backup", "run the backup node (backup --data DIR), or backup list|verify|restore --data DIR", runBackup},
		{"content", "validate a content directory: content check DIR (file:line: field: what is wrong)", runContent},
		{"play", "run a zone of a content set headless with bots and print what happens (play --content DIR [--zone NAME] [--watch])", runPlay},
		{"bench", "run a benchmark and print JSON (bench zone|db ...)", runBench},
		{"reviver", "keep a registry's nodes running: start them, restart what dies (reviver --registry R)", runReviver},
		{"admin", "an operator's action on a running realm (admin restart --registry R --in 5m --reason TEXT | --cancel)", runAdmin},
		{"registry", "check a registry file (registry check FILE)", runRegistry},
		{"ca", "the cluster's certificates: ca init --dir D, ca issue --dir D --registry R, ca players --dir D --hosts H,H", runCA},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintln(stderr, "realm:", err)
				return 2
			default:
				fmt.Fprintln(stderr, "realm:", err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "realm: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// errUsage marks a mistake in the command line.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: realm <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
}
