package script

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world/content"
)

// copyDefault writes the shipped content into a directory to edit.
func copyDefault(t *testing.T) string {
	dir := t.TempDir()
	if err := content.WriteDefault(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s lacks %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Hot reload under a zone with bots fighting: a changed NPC template takes
// effect at one tick boundary (every wolf has its new health from the
// same tick on); a broken edit, of the YAML or of a script, is refused and
// the content before it keeps running.
func TestHotReload(t *testing.T) {
	dir := copyDefault(t)
	set, err := content.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlay(PlayConfig{Content: set, Seed: 2, Bots: 20, BotRadius: 150, NPCs: 600})
	if err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int64
	var lastErr atomic.Value
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = content.Watch(ctx, nil, dir, 50*time.Millisecond, func(s *content.Set, err error) {
		if err == nil {
			err = p.Engine.Reload(s)
		}
		if err != nil {
			refused.Add(1)
			lastErr.Store(err.Error())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// wolves returns the wolves' (max health - their level's share) seen
	// this tick: one value when every wolf has the same template numbers.
	wolves := func() map[int32]int {
		seen := map[int32]int{}
		q := p.Engine.npcs.Query(&p.Zone.World.ECS)
		for q.Next() {
			a, _, h := q.Get()
			if a.Template == 1 {
				seen[h.Max-4*int32(a.Level-1)]++
			}
		}
		return seen
	}
	step := func(until func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !until() {
			if time.Now().After(deadline) {
				t.Fatal("timed out")
			}
			p.Step()
			time.Sleep(2 * time.Millisecond) // the watcher's turn
		}
	}
	p.Step()
	if w := wolves(); len(w) != 1 || w[80] == 0 {
		t.Fatalf("wolves before: %v", w)
	}

	rewrite(t, filepath.Join(dir, "npcs.yaml"), "health: 80", "health: 300")
	step(func() bool { return p.Engine.Stats.Reloads.Load() == 1 })
	// The swap happened at the start of the last tick: every wolf has its
	// new numbers, none the old.
	if w := wolves(); len(w) != 1 || w[300] == 0 {
		t.Fatalf("wolves after the reload: %v", w)
	}
	if r := ecs.Resource[systems.Bestiary](p.Zone.World); r.Kinds[1].Health != 300 {
		t.Fatalf("bestiary after the reload: %+v", r.Kinds[1])
	}
	t.Logf("the reload took %v of its tick", time.Duration(p.Engine.Stats.LastReloadNs.Load()))

	// A broken YAML edit and a broken script: both refused, the running
	// content stays.
	rewrite(t, filepath.Join(dir, "npcs.yaml"), "health: 300", "health: -5")
	step(func() bool { return refused.Load() == 1 })
	if msg, _ := lastErr.Load().(string); !strings.Contains(msg, "npcs.yaml:") || !strings.Contains(msg, "npcs.wolf.health: must not be negative") {
		t.Fatalf("refused with %q", msg)
	}
	rewrite(t, filepath.Join(dir, "npcs.yaml"), "health: -5", "health: 300")
	step(func() bool { return p.Engine.Stats.Reloads.Load() == 2 })
	rewrite(t, filepath.Join(dir, "scripts", "quest.star"), "def talk(ev):", "def talk(ev)")
	step(func() bool { return refused.Load() == 2 })
	if msg, _ := lastErr.Load().(string); !strings.Contains(msg, "scripts/quest.star:") {
		t.Fatalf("refused with %q", msg)
	}
	for i := 0; i < 40; i++ {
		p.Step()
	}
	if w := wolves(); len(w) != 1 || w[300] == 0 || p.Engine.Stats.Reloads.Load() != 2 {
		t.Fatalf("after the refused edits: wolves %v, reloads %d", w, p.Engine.Stats.Reloads.Load())
	}
	if p.Engine.Stats.Errors.Load() != 0 {
		t.Fatalf("%d script errors", p.Engine.Stats.Errors.Load())
	}
}

// With reload: respawn, NPCs already out keep their numbers after a
// reload; those spawned after it take the template's new ones.
func TestReloadRespawnKeepsLiveNPCs(t *testing.T) {
	m := faulty()
	zones := `rules:
  reload: respawn
zones:
  open:
    map: {size: 128, obstacles: -1}
    camps:
      - {npc: wolf, x: 64, y: 64, count: 5, radius: 10}
npcs:
  wolf: {id: 1, health: 80}
`
	m["zones.yaml"] = &fstest.MapFile{Data: []byte(zones)}
	set, err := content.Load(m, "respawn")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlay(PlayConfig{Content: set, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Step()
	m["zones.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(zones, "health: 80", "health: 300", 1))}
	next, err := content.Load(m, "respawn")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Engine.Reload(next); err != nil {
		t.Fatal(err)
	}
	p.Step()
	fresh, err := p.Zone.SpawnNPC(64, 64, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Engine.npcs.Query(&p.Zone.World.ECS)
	for q.Next() {
		_, _, h := q.Get()
		want := int32(80)
		if q.Entity() == fresh {
			want = 300
		}
		if h.Max != want {
			t.Errorf("an NPC with max health %d, want %d", h.Max, want)
		}
	}
}
