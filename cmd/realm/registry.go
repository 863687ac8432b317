package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/kube"
)

func runRegistry(args []string, stdout, stderr io.Writer) error {
	usage := fmt.Errorf("%w: realm registry check FILE | realm registry from-k8s [--secret-file F] [--link-tls DIR] < services.json", errUsage)
	if len(args) == 0 {
		return usage
	}
	switch args[0] {
	case "check":
		if len(args) != 2 {
			return usage
		}
		r, err := registry.Load(args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d nodes, secret of %d bytes: ok\n", args[1], len(r.Nodes), len(r.ClusterSecret()))
		return nil
	case "from-k8s":
		return registryFromK8s(args[1:], os.Stdin, stdout, stderr)
	}
	return usage
}

// registryFromK8s writes the registry of the node Services that
// `kubectl get services -o json` prints (on in).
func registryFromK8s(args []string, in io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm registry from-k8s", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts kube.Options
	fs.StringVar(&opts.SecretFile, "secret-file", "/etc/gridrealm/secret/cluster-secret", "where the nodes read the cluster secret (the mounted Secret)")
	fs.StringVar(&opts.LinkTLS, "link-tls", "", "the certificate directory of TLS links, if any")
	if err := parse(fs, args); err != nil {
		return err
	}
	services, err := kube.ReadServices(in)
	if err != nil {
		return err
	}
	reg, err := kube.RegistryFromServices(services, opts)
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}
