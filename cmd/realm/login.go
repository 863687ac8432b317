package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/store"
	"github.com/gridrealm/gridrealm/world/login"
)

// runLogin runs a login node: its players' address and the realms it
// serves come from the registry.
func runLogin(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nf nodeFlags
	nf.register(fs, "LOGIN-1")
	data := fs.String("data", "", "accounts directory (default: the registry's data for this node)")
	public := fs.String("public", "", "players' QUIC address (default: the registry's)")
	certFile := fs.String("cert", "", "TLS certificate (PEM); default: the realm's dev certificate beside the registry")
	keyFile := fs.String("key", "", "TLS key (PEM)")
	perSecond := fs.Float64("attempts-per-second", login.DefaultPerSecond, "login attempts allowed per second from one address")
	burst := fs.Int("attempts-burst", login.DefaultBurst, "login attempts one address may make at once before the rate applies")
	waiting := fs.Int("attempts-waiting", login.DefaultPerAddress, "attempts one address may have waiting for a password check")
	line := fs.Int("queue", 0, "logins that may wait in line for a password check, told their place (default 1,024 per CPU); past it: Busy with a retry hint")
	queueWait := fs.Duration("queue-wait", login.DefaultQueueWait, "how long a login may wait in line")
	realmLine := fs.Int("realm-line", login.DefaultRealmLine, "players that may wait in a full realm's line, told their place, and get in as players leave (0: none, Busy with the realm's retry hint)")
	lineWait := fs.Duration("line-wait", login.DefaultLineWait, "how long a player may wait in a full realm's line")
	nice := niceFlag(fs, "password hashing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := applyNice("login", *nice); err != nil {
		return err
	}
	if *perSecond <= 0 || *burst < 1 || *waiting < 1 || *line < 0 || *queueWait <= 0 || *realmLine < 0 || *lineWait <= 0 {
		return fmt.Errorf("%w: --attempts-per-second, --queue-wait and --line-wait must be > 0, --attempts-burst and --attempts-waiting ≥ 1, --queue and --realm-line ≥ 0", errUsage)
	}
	if *realmLine == 0 {
		*realmLine = -1 // the config's "no line"
	}
	ncfg, err := nf.config(registry.RoleLogin)
	if err != nil {
		return err
	}
	if nf.reg == nil {
		return fmt.Errorf("%w: realm login needs --registry (it names the realms and their gateways)", errUsage)
	}
	self, _ := nf.reg.Node(nf.id)
	if *data == "" {
		*data = self.Data
	}
	if *public == "" {
		*public = self.Public
	}
	// The login db, when the registry has one, keeps the accounts of
	// every login node; without it the node keeps its own.
	var accountDB string
	if dbs := nf.reg.InRealm("", registry.RoleDB); len(dbs) > 0 {
		accountDB = dbs[0].ID
		ncfg.Peers = append(ncfg.Peers, node.Peer{ID: dbs[0].ID, Addr: dbs[0].Addr})
	}
	if (*data == "" && accountDB == "") || *public == "" {
		return fmt.Errorf("%w: --data (or a login db in the registry) and --public (or the registry's) are required", errUsage)
	}
	tlsConf, err := playerTLS(*certFile, *keyFile, &nf)
	if err != nil {
		return err
	}
	realms := loginRealms(nf.reg, &ncfg)
	l, err := login.Start(login.Config{Node: ncfg, Listen: *public, TLS: tlsConf, AccountDB: accountDB, Accounts: store.Config{Dir: *data}, Realms: realms,
		PerSecond: *perSecond, Burst: *burst, PerAddress: *waiting, Queue: *line, QueueWait: *queueWait, RealmLine: *realmLine, LineWait: *lineWait})
	if err != nil {
		return err
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	l.Stop()
	return nil
}

// runAccount creates accounts in a stopped login node's store.
func runAccount(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: realm account create --data DIR --name NAME [--password-file F] (else the password is read from stdin)", errUsage)
	}
	fs := flag.NewFlagSet("realm account create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the accounts directory: the login db's (or a lone login node's); the node must be stopped")
	name := fs.String("name", "", "account name")
	pwFile := fs.String("password-file", "", "file holding the password (default: stdin)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *data == "" || *name == "" {
		return fmt.Errorf("%w: --data and --name are required", errUsage)
	}
	var pw string
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return err
		}
		pw = strings.TrimRight(string(b), "\r\n")
	} else {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if pw == "" || len(pw) > 256 {
		return fmt.Errorf("%w: a password of 1..256 bytes is needed", errUsage)
	}
	s, err := store.Open(store.Config{Dir: *data})
	if err != nil {
		return fmt.Errorf("open %s (is the login node still running?): %w", *data, err)
	}
	defer s.Close()
	h, err := login.HashPassword(pw, login.OWASP)
	if err != nil {
		return err
	}
	if _, err := s.CreateAccount(*name, h); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %q created\n", *name)
	return nil
}

// loginRealms returns the realms a login node serves, from the registry,
// and adds their realm nodes to its peers.
func loginRealms(reg *registry.Registry, ncfg *node.Config) map[string]login.Realm {
	realms := map[string]login.Realm{}
	for _, e := range reg.ByRole("", registry.RoleRealm) {
		r := login.Realm{Node: e.ID}
		// The realm's own gateways, and those every realm shares.
		for _, g := range append(reg.InRealm(e.Realm, registry.RoleGateway), reg.InRealm("", registry.RoleGateway)...) {
			r.Gateways = append(r.Gateways, g.Public)
		}
		realms[e.Realm] = r
		ncfg.Peers = append(ncfg.Peers, node.Peer{ID: e.ID, Addr: e.Addr})
	}
	return realms
}
