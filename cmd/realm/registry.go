package main

import (
	"fmt"
	"io"

	"github.com/gridrealm/gridrealm/net/registry"
)

func runRegistry(args []string, stdout, _ io.Writer) error {
	if len(args) != 2 || args[0] != "check" {
		return fmt.Errorf("%w: realm registry check FILE", errUsage)
	}
	r, err := registry.Load(args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d nodes, secret of %d bytes: ok\n", args[1], len(r.Nodes), len(r.ClusterSecret()))
	return nil
}
