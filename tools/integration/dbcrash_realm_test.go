package integration

import (
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// TestDBCrashStopsAndRestoresTheRealm: the db's process is SIGKILLed while
// bots play and items are granted. The reviver runs the seed's procedure:
// every bot is let go with the reason DatabaseFailure, the realm stops,
// every node starts again (the db checking its store first), and the bots
// log in again. Every grant the db acknowledged before the kill is there,
// every item has exactly one existing owner, none appears twice.
func TestDBCrashStopsAndRestoresTheRealm(t *testing.T) {
	const bots = 3
	r := startDevRealm(t, upBase(500), bots)
	var conns []*client.Conn
	for i := 0; i < bots; i++ {
		conns = append(conns, r.bot(t, i))
	}
	// Grants through the db, acknowledged, for characters of the realm.
	owner, granted := r.grantMany(t, 50)
	r.kill(t, "DEV-DB-1")
	for i, conn := range conns {
		select {
		case <-conn.Done():
		case <-time.After(30 * time.Second):
			t.Fatalf("bot %d was not let go", i)
		}
		if st := conn.Counters(); st.Disconnect != wire.DisconnectReasonDatabaseFailure {
			t.Errorf("bot %d let go with %v, want DatabaseFailure", i, st.Disconnect)
		}
	}
	waitUntil(t, "the realm to come back", 60*time.Second, func() bool {
		for _, e := range r.rv.Events() {
			if e.Kind == reviver.RealmRestarted {
				return true
			}
		}
		return false
	})
	for i := 0; i < bots; i++ {
		c := r.bot(t, i)
		waitUntil(t, "a bot back in the game", 15*time.Second, func() bool { _, _, ok := selfAt(c); return ok })
	}
	// The grants are all there, each item once with an existing owner.
	if err := r.rv.Stop(); err != nil {
		t.Error(err)
	}
	items, orphaned, duplicated, owners := r.dump(t)
	if orphaned != 0 || duplicated != 0 {
		t.Fatalf("after the db crash: %d items, %d without owner, %d twice", items, orphaned, duplicated)
	}
	for _, id := range granted {
		if owners[id] != owner {
			t.Fatalf("acknowledged grant %d: owner %d, want %d", id, owners[id], owner)
		}
	}
}
