package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/backup"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/store"
)

func runDB(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "dump" {
		return dbDump(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("realm db", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nf nodeFlags
	nf.register(fs, "DB-1")
	data := fs.String("data", "", "data directory (required unless --in-memory)")
	inMemory := fs.Bool("in-memory", false, "keep everything in RAM (tests)")
	restore := fs.String("restore-from", "", "backup directory to restore from if the store fails its check at start (default: DATA.restore, where the reviver puts the backup node's newest, if it is there)")
	sync := fs.Duration("sync", store.DefaultSyncInterval, "disk sync interval: the most a machine crash can lose")
	if err := parse(fs, args); err != nil {
		return err
	}
	ncfg, err := nf.config(registry.RoleDB)
	if err != nil {
		return err
	}
	if nf.reg != nil && *data == "" {
		if e, _ := nf.reg.Node(nf.id); e.Data != "" {
			*data = e.Data
		}
	}
	if *data == "" && !*inMemory {
		return fmt.Errorf("%w: --data is required", errUsage)
	}
	if *restore == "" && *data != "" {
		if st, err := os.Stat(db.RestoreDir(*data)); err == nil && st.IsDir() {
			*restore = db.RestoreDir(*data)
		}
	}
	d, err := db.Start(db.Config{Node: ncfg,
		Store:   store.Config{Dir: *data, InMemory: *inMemory, SyncInterval: *sync},
		Restore: *restore, RestoreFunc: backup.RestoreOver})
	if err != nil {
		return err
	}
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	return d.Stop()
}

// dbDump prints every character and item of a stopped db as JSON lines.
func dbDump(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm db dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data directory of a stopped db node")
	fs.Bool("json", true, "JSON lines (the only format)")
	check := fs.Bool("check", false, "then check every record and index (every item one owner that exists, the owners' indexes agreeing) and print the report as a last line {\"check\": ...}; exit 1 if anything is wrong")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return fmt.Errorf("%w: --data is required", errUsage)
	}
	db, closeDB, err := store.OpenOffline(*data)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := store.Dump(db, stdout); err != nil || !*check {
		return err
	}
	r, err := store.Check(db, false, nil)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(stdout).Encode(map[string]store.Report{"check": r}); err != nil {
		return err
	}
	if n := r.Problems(); n > 0 {
		return fmt.Errorf("db check: %d problems: %s", n, r.String())
	}
	return nil
}

// parse parses flags, turning mistakes into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}
