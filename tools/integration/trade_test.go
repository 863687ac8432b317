package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/swarm"
)

// itemUnits adds up the counts of every item the db holds, destroyed ones
// too: what the db granted.
func (r *devRealm) itemUnits(t *testing.T) (units int64) {
	t.Helper()
	out, err := exec.Command(realmBin, "db", "dump", "--data", r.entry("DEV-DB-1").Data, "--json").Output()
	if err != nil {
		t.Fatalf("db dump: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var rec struct {
			Item *struct{ Count int64 } `json:"item"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Item != nil {
			units += rec.Item.Count
		}
	}
	return units
}

// TestTradesConserveItems: 64 bots fight NPCs for loot and trade it among
// themselves for 30 s, through real login, gateway, zone and db processes.
// The zone is SIGKILLed once at the worst moment of a trade — right after
// it asked the db to carry it out, before it heard the answer — and its
// reviver brings it back. Afterwards the db dump has every item with
// exactly one owner, and the items' counts add up to what the db granted
// (loot is the only way an item comes to be).
func TestTradesConserveItems(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "fault")
	r := startDevRealm(t, upBase(470), 64, func(reg *registry.Registry) {
		for i := range reg.Nodes {
			if reg.Nodes[i].ID == "DEV-ZONE-1" {
				reg.Nodes[i].Restart = append([]string{"/usr/bin/env", "GRIDREALM_FAULT=trade-after-request@" + marker}, reg.Nodes[i].Restart...)
			}
		}
	})
	rep, err := swarm.Run(context.Background(), swarm.Config{Login: r.entry("DEV-LOGIN-1").Public, TLS: r.tls,
		Bots: 64, Duration: 30 * time.Second, Ramp: 32, Behavior: swarm.Trade, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep.Trades)
	t.Logf("swarm: %d connected, %d failed, %d disconnected, %d loot events (%d units), trades %s, zone restarts lived through %d",
		rep.Connected, rep.Failed, rep.Disconnects, rep.Loots, rep.LootUnits, js, rep.ZoneRestarts)
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("the zone was never killed mid-trade: no trade reached the db")
	}
	r.restarted(t, "DEV-ZONE-1", 1)
	if rep.Connected != 64 || rep.Trades == nil || rep.Trades.Results["done"] == 0 {
		t.Fatalf("the bots did not trade: %d connected, trades %s", rep.Connected, js)
	}
	// Every grant the db acknowledged is in the dump; let those in flight
	// at the end land.
	time.Sleep(time.Second)
	granted := r.metric(t, "DEV-DB-1", "gridrealm_db_item_units_granted_total")
	if err := r.rv.Stop(); err != nil { // the db is read stopped
		t.Fatal(err)
	}
	items, orphaned, duplicated := r.dumpItems(t)
	units := r.itemUnits(t)
	t.Logf("db: %d items, %d units; granted %v units", items, units, granted)
	if orphaned != 0 || duplicated != 0 {
		t.Fatalf("%d items without an owner, %d listed twice", orphaned, duplicated)
	}
	if units != int64(granted) || items == 0 {
		t.Fatalf("the items' counts add up to %d, the db granted %v", units, granted)
	}
	if out, err := exec.Command(realmBin, "db", "dump", "--check", "--data", r.entry("DEV-DB-1").Data).CombinedOutput(); err != nil {
		t.Fatalf("db dump --check: %v\n%s", err, out[max(0, len(out)-500):])
	}
}
