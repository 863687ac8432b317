package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gridrealm/gridrealm/net/pki"
	"github.com/gridrealm/gridrealm/net/registry"
)

// runCA manages a cluster's certificates: its CA, the nodes' link
// certificates, and the players' certificate of login and gateway nodes.
func runCA(args []string, stdout, stderr io.Writer) error {
	usage := fmt.Errorf("%w: realm ca init --dir D | issue --dir D (--registry R | --id ID...) | players --dir D --hosts H,H", errUsage)
	if len(args) == 0 {
		return usage
	}
	fs := flag.NewFlagSet("realm ca "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "the cluster's certificate directory (the registry's link_tls)")
	name := fs.String("name", "GridRealm", "with init: the cluster's name, in the CA's")
	reg := fs.String("registry", "", "with issue: issue for every node of the registry")
	var ids []string
	fs.Func("id", "with issue: a node id (repeatable)", func(v string) error { ids = append(ids, v); return nil })
	hosts := fs.String("hosts", "", "with players: the host names and IP addresses players connect to, comma-separated")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return usage
	}
	d := pki.Dir(*dir)
	switch args[0] {
	case "init":
		if err := d.Init(*name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "a CA in %s (keep ca-key.pem where certificates are issued, not on the nodes)\n", *dir)
		return nil
	case "issue":
		if *reg != "" {
			r, err := registry.Load(*reg)
			if err != nil {
				return err
			}
			for _, e := range r.Nodes {
				ids = append(ids, e.ID)
			}
		}
		if len(ids) == 0 {
			return usage
		}
		for _, id := range ids {
			if err := d.Issue(id); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "%d node certificates in %s\n", len(ids), *dir)
		return nil
	case "players":
		if *hosts == "" {
			return usage
		}
		if err := d.IssuePlayers(strings.Split(*hosts, ",")); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "players.pem and players-key.pem in %s, for %s\n", *dir, *hosts)
		return nil
	}
	return usage
}
