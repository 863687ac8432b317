package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pki"
	"github.com/gridrealm/gridrealm/net/registry"
)

// nodeFlags are the flags every node command shares: who the node is, from
// the registry or from explicit flags for development.
type nodeFlags struct {
	registry, id, listen, admin, secretFile, logLevel string
	reg                                               *registry.Registry
	// unlisted: the node need not be in the registry (an instance node of
	// a fleet, whose id is its game server's); it serves every realm.
	unlisted bool
}

func (f *nodeFlags) register(fs *flag.FlagSet, defaultID string) {
	fs.StringVar(&f.registry, "registry", "", "registry file naming this node and its peers")
	fs.StringVar(&f.id, "id", defaultID, "this node's id (in the registry)")
	fs.StringVar(&f.listen, "listen", "", "link address (overrides the registry)")
	fs.StringVar(&f.admin, "admin", "", "admin HTTP address (default: the registry's, else a free loopback port; - for none)")
	fs.StringVar(&f.secretFile, "secret-file", "", "cluster secret file (without a registry)")
	fs.StringVar(&f.logLevel, "log", "info", "log level: debug, info, warn, error")
}

// config builds the node's config.
func (f *nodeFlags) config(role registry.Role) (node.Config, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return node.Config{}, fmt.Errorf("%w: --log %q", errUsage, f.logLevel)
	}
	cfg := node.Config{ID: f.id, Role: role, Listen: f.listen, Admin: f.admin,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))}
	if f.registry != "" {
		reg, err := registry.Load(f.registry)
		if err != nil {
			return cfg, err
		}
		e, ok := reg.Node(f.id)
		if !ok && f.unlisted {
			if f.listen == "" {
				return cfg, fmt.Errorf("%w: a node not in the registry needs --listen", errUsage)
			}
			e, ok = registry.Entry{ID: f.id, Role: role}, true
		}
		if !ok {
			return cfg, fmt.Errorf("registry %s has no node %q", f.registry, f.id)
		}
		if e.Role != role {
			return cfg, fmt.Errorf("registry %s: node %q is a %s node, not %s", f.registry, f.id, e.Role, role)
		}
		f.reg = reg
		cfg.Secret, cfg.Realm, cfg.AdminToken = reg.ClusterSecret(), e.Realm, reg.AdminToken()
		if cfg.Listen == "" {
			cfg.Listen = e.Addr
		}
		if cfg.Admin == "" {
			cfg.Admin = e.Admin
		}
		return cfg, linkTLS(&cfg, reg, e)
	}
	if f.secretFile == "" {
		return cfg, fmt.Errorf("%w: give --registry, or --secret-file and --listen", errUsage)
	}
	raw, err := os.ReadFile(f.secretFile)
	if err != nil {
		return cfg, err
	}
	secret := []byte(strings.TrimSpace(string(raw)))
	if b, err := hex.DecodeString(string(secret)); err == nil {
		secret = b
	}
	cfg.Secret, cfg.AdminToken = secret, registry.AdminToken(secret)
	return cfg, nil
}

// linkTLS loads the node's link certificate when the registry asks for
// TLS links; without it, a node whose links leave this machine says they
// are in the clear.
func linkTLS(cfg *node.Config, reg *registry.Registry, e registry.Entry) error {
	dir := reg.LinkTLSDir()
	if dir == "" {
		if host, _, err := net.SplitHostPort(e.Addr); err == nil && !isLoopback(host) {
			cfg.Logger.Warn("node links are not encrypted: the registry has no link_tls (see realm ca)", "addr", e.Addr)
		}
		return nil
	}
	cert, pool, err := pki.Dir(dir).Node(e.ID)
	if err != nil {
		return fmt.Errorf("link TLS: %w (realm ca issue --dir %s --id %s makes it)", err, dir, e.ID)
	}
	cfg.TLS = &node.LinkTLS{Cert: cert, CA: pool}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// peer finds the address of a node of a role in this node's realm (for a
// shared node, among the shared ones).
func (f *nodeFlags) peer(cfg node.Config, role registry.Role, id, addr string) (node.Peer, error) {
	if id != "" && addr != "" {
		return node.Peer{ID: id, Addr: addr}, nil
	}
	if f.reg == nil {
		return node.Peer{}, fmt.Errorf("%w: name the %s node with flags, or give --registry", errUsage, role)
	}
	for _, e := range f.reg.InRealm(cfg.Realm, role) {
		if id == "" || e.ID == id {
			return node.Peer{ID: e.ID, Addr: e.Addr}, nil
		}
	}
	return node.Peer{}, fmt.Errorf("registry %s: no %s node in realm %q", f.registry, role, cfg.Realm)
}

// untilSignal returns a context that ends on SIGINT or SIGTERM.
func untilSignal() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
