package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/backup"
)

func runBackup(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "list":
			return backupList(args[1:], stdout, stderr)
		case "verify":
			return backupVerify(args[1:], stdout, stderr)
		case "restore":
			return backupRestore(args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("realm backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nf nodeFlags
	nf.register(fs, "BACKUP-1")
	data := fs.String("data", "", "backup directory (required)")
	dbID := fs.String("db", "", "db node id (default: the realm's db node in the registry)")
	dbAddr := fs.String("db-addr", "", "db node link address (without a registry)")
	var cfg backup.Config
	fs.DurationVar(&cfg.Interval, "interval", backup.DefaultInterval, "time between backups")
	fs.DurationVar(&cfg.FullEvery, "full-every", backup.DefaultFullEvery, "time between full backups")
	fs.IntVar(&cfg.Keep, "keep", backup.DefaultKeep, "chains to keep")
	nice := niceFlag(fs, "checking each backup")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := applyNice("backup", *nice); err != nil {
		return err
	}
	ncfg, err := nf.config(registry.RoleBackup)
	if err != nil {
		return err
	}
	if *data == "" {
		if e, ok := nodeEntry(&nf); ok && e.Data != "" {
			*data = e.Data
		} else {
			return fmt.Errorf("%w: --data is required", errUsage)
		}
	}
	db, err := nf.peer(ncfg, registry.RoleDB, *dbID, *dbAddr)
	if err != nil {
		return err
	}
	ncfg.Peers = []node.Peer{db}
	cfg.Node, cfg.DB, cfg.Dir = ncfg, db.ID, *data
	b, err := backup.Start(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	b.Stop()
	return nil
}

func nodeEntry(nf *nodeFlags) (registry.Entry, bool) {
	if nf.reg == nil {
		return registry.Entry{}, false
	}
	return nf.reg.Node(nf.id)
}

func backupDirFlag(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (string, error) {
	fs := flag.NewFlagSet("realm backup "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "backup directory")
	if extra != nil {
		extra(fs)
	}
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if *data == "" {
		return "", fmt.Errorf("%w: --data is required", errUsage)
	}
	return *data, nil
}

func backupList(args []string, stdout, stderr io.Writer) error {
	dir, err := backupDirFlag("list", args, stderr, nil)
	if err != nil {
		return err
	}
	m, err := backup.LoadManifest(dir)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, e := range m.Entries {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}

func backupVerify(args []string, stdout, stderr io.Writer) error {
	dir, err := backupDirFlag("verify", args, stderr, nil)
	if err != nil {
		return err
	}
	bad, err := backup.VerifyAll(dir)
	if err != nil {
		return err
	}
	m, _ := backup.LoadManifest(dir)
	for _, b := range bad {
		fmt.Fprintln(stdout, "BAD", b)
	}
	fmt.Fprintf(stdout, "%d backups, %d bad\n", len(m.Entries), len(bad))
	if len(bad) > 0 {
		return fmt.Errorf("%d of %d backups do not verify", len(bad), len(m.Entries))
	}
	return nil
}

func backupRestore(args []string, stdout, stderr io.Writer) error {
	var to string
	var index int
	dir, err := backupDirFlag("restore", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "new data directory to restore into (must not exist or be empty)")
		fs.IntVar(&index, "index", -1, "manifest entry to restore (default: the newest verified)")
	})
	if err != nil {
		return err
	}
	if to == "" {
		return fmt.Errorf("%w: --to is required", errUsage)
	}
	e, err := backup.Restore(dir, to, index)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s (version %d, digest %s) into %s\n", e.File, e.Version, e.Digest, to)
	return nil
}
