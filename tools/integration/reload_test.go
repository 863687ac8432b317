package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/reviver"
	"github.com/gridrealm/gridrealm/tools/swarm"
	"github.com/gridrealm/gridrealm/world/content"
)

// copyContent writes the shipped content into a directory to edit.
func copyContent(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := content.WriteDefault(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s: %v, or it lacks %q", path, err, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHotReloadUnderBots: a zone process runs a content directory with
// --watch while 40 bots fight in it, asking who they see. Changing the
// wolves' template lands at a tick boundary (the wolves already out take
// their new numbers in that tick's swap, well inside the tick's 50 ms);
// giving it a display name renames the wolves the bots had names for; a
// broken edit is refused and counted, and the zone runs on with the
// content before it; no bot is disconnected.
func TestHotReloadUnderBots(t *testing.T) {
	dir := copyContent(t)
	r := startDevRealm(t, upBase(490), 40, func(reg *registry.Registry) {
		for i := range reg.Nodes {
			if reg.Nodes[i].ID == "DEV-ZONE-1" {
				reg.Nodes[i].Restart = append(reg.Nodes[i].Restart, "--content", dir, "--watch")
			}
		}
	})
	done := make(chan *swarm.Report, 1)
	go func() {
		rep, err := swarm.Run(context.Background(), swarm.Config{Login: r.entry("DEV-LOGIN-1").Public, TLS: r.tls,
			Bots: 40, Duration: 20 * time.Second, Ramp: 40, Behavior: swarm.Wander, Fight: true, Names: true, Seed: 5})
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	waitUntil(t, "the bots in the zone", 30*time.Second, func() bool { return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players") >= 40 })
	editFile(t, filepath.Join(dir, "npcs.yaml"), "health: 80", "health: 300")
	waitUntil(t, "the reload", 10*time.Second, func() bool { return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_content_reloads_total") == 1 })
	swap := r.metric(t, "DEV-ZONE-1", "gridrealm_zone_content_reload_swap_seconds")
	changed := r.metric(t, "DEV-ZONE-1", "gridrealm_zone_content_reload_npcs_changed")
	t.Logf("the reload changed %v wolves in %.3f ms of its tick", changed, swap*1000)
	if changed < 50 || swap <= 0 || swap > 0.05 {
		t.Fatalf("the reload changed %v NPCs and took %v s of its tick", changed, swap)
	}

	editFile(t, filepath.Join(dir, "npcs.yaml"), "  wolf:\n    id: 1\n", "  wolf:\n    id: 1\n    name: Grey Wolf\n")
	waitUntil(t, "the rename", 10*time.Second, func() bool { return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_content_reloads_total") == 2 })

	editFile(t, filepath.Join(dir, "npcs.yaml"), "health: 300", "health: -300")
	waitUntil(t, "the broken edit refused", 10*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_content_reloads_refused_total") == 1
	})
	editFile(t, filepath.Join(dir, "scripts", "quest.star"), "def talk(ev):", "def talk(ev)")
	waitUntil(t, "the broken script refused", 10*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_content_reloads_refused_total") == 2
	})
	if n := r.metric(t, "DEV-ZONE-1", "gridrealm_zone_content_reloads_total"); n != 2 {
		t.Fatalf("%v reloads landed, want 2 (the broken ones refused)", n)
	}
	rep := <-done
	if rep.Connected != 40 || rep.Disconnects != 0 {
		t.Fatalf("%d connected, %d disconnected: %v", rep.Connected, rep.Disconnects, rep.DisconnectReasons)
	}
	if n := rep.Names; n == nil || n.Renamed == 0 || n.Mismatched != 0 {
		t.Fatalf("names: %+v, want wolves the bots had names for renamed, none contradicting the view", n)
	}
	t.Logf("names: %d asked, %d told, %d renamed by the reload", rep.Names.Asked, rep.Names.Told, rep.Names.Renamed)
	if errs := r.metric(t, "DEV-ZONE-1", "gridrealm_zone_script_errors_total"); errs != 0 {
		t.Fatalf("%v script errors", errs)
	}
	if n := r.count("DEV-ZONE-1", reviver.Crashed); n != 0 {
		t.Fatalf("the zone crashed %d times", n)
	}
}
