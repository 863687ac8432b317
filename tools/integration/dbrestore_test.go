package integration

import (
	"os"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/persist/backup"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// TestDBDiskLostRestoredFromTheBackupNode: the db's process is SIGKILLed and
// its data directory is gone with it (a lost disk). In the stop-and-restore
// the reviver fetches the newest verified backup from the backup node over
// the network; the db's start restores it; the realm comes back and a bot
// logs in again. Every grant in that backup is there, every item has one
// existing owner and none appears twice.
func TestDBDiskLostRestoredFromTheBackupNode(t *testing.T) {
	r := startDevRealm(t, upBase(450), 1, func(reg *registry.Registry) {
		for i := range reg.Nodes {
			if reg.Nodes[i].Role == registry.RoleBackup {
				reg.Nodes[i].Restart = append(reg.Nodes[i].Restart, "--interval", "300ms")
			}
		}
	})
	conn := r.bot(t, 0)
	owner, granted := r.grantMany(t, 30)
	granting := time.Now()
	// A backup is dated when it is stored, not when its snapshot was taken:
	// one under way during the grants is dated after them without the last
	// of them (grant 26 of 30 was missing once). Backups are taken one after
	// another, so the second stored after the grants began after them.
	waitUntil(t, "a verified backup taken after the grants", 20*time.Second, func() bool {
		m, err := backup.LoadManifest(r.entry("DEV-BACKUP-1").Data)
		if err != nil {
			return false
		}
		i, err := m.Latest()
		return err == nil && i > 0 && m.Entries[i-1].Created.After(granting)
	})

	r.kill(t, "DEV-DB-1")
	if err := os.RemoveAll(r.entry("DEV-DB-1").Data); err != nil {
		t.Fatal(err)
	}
	select {
	case <-conn.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the bot was not let go")
	}
	waitUntil(t, "the realm to come back", 60*time.Second, func() bool { return r.count("realm", reviver.RealmRestarted) == 1 })
	if r.count("DEV-DB-1", reviver.BackupFetched) != 1 {
		t.Fatalf("no backup fetched: %v", r.rv.Events())
	}
	for _, e := range r.rv.Events() {
		if e.Kind == reviver.BackupFetched || e.Kind == reviver.RealmRestarted {
			t.Log(e)
		}
	}
	back := r.bot(t, 0)
	waitUntil(t, "the bot back in the game", 15*time.Second, func() bool { _, _, ok := selfAt(back); return ok })
	if err := r.rv.Stop(); err != nil {
		t.Error(err)
	}
	items, orphaned, duplicated, owners := r.dump(t)
	if orphaned != 0 || duplicated != 0 {
		t.Fatalf("after the restore: %d items, %d without owner, %d twice", items, orphaned, duplicated)
	}
	for _, id := range granted {
		if owners[id] != owner {
			t.Fatalf("grant %d (in the backup): owner %d, want %d", id, owners[id], owner)
		}
	}
}
