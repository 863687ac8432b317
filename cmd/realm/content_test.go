package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridrealm/gridrealm/world/content"
	"github.com/gridrealm/gridrealm/world/zone"
)

// realm content check: the shipped content passes; a broken one is
// refused with each mistake's file, line and field, exit 1.
func TestContentCheck(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"content", "check", "default"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "ok (version") {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "scripts"), 0o755)
	os.WriteFile(filepath.Join(dir, "npcs.yaml"), []byte("npcs:\n  wolf:\n    id: 1\n    helth: 5\n    loot:\n      - {item: fur, chance: 2}\n"), 0o644)
	out.Reset()
	code := run([]string{"content", "check", dir}, &out, &errb)
	want := []string{
		"npcs.yaml:4: npcs.wolf.helth: unknown field",
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	if code != 1 {
		t.Fatalf("exit %d for broken content", code)
	}
	os.WriteFile(filepath.Join(dir, "npcs.yaml"), []byte("npcs:\n  wolf:\n    id: 1\n    loot:\n      - {item: fur, chance: 2}\n"), 0o644)
	out.Reset()
	run([]string{"content", "check", dir}, &out, &errb)
	for _, w := range []string{"npcs.yaml:5: npcs.wolf.loot[0].item: no item \"fur\"", "npcs.yaml:5: npcs.wolf.loot[0].chance"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

// realm play runs the crypt headless and prints the fight and the loot;
// realm bench zone --content reports the scripts.
func TestPlayAndBenchWithContent(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"play", "--zone", "crypt", "--at", "128,232", "--radius", "3", "--ticks", "1500"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, w := range []string{"playing crypt", "spawned 5 × bone_knight", "The Lich calls its servants!", "spawned 3 × skeleton", "killed lich", "× lich_crown", "scripts: "} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("the play log lacks %q:\n%s", w, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"bench", "zone", "--players", "50", "--npcs", "200", "--ticks", "20", "--warmup", "10", "--content", "default", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r struct {
		Scripts *struct {
			Calls  int64 `json:"calls"`
			Errors int64 `json:"errors"`
		} `json:"scripts"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Scripts == nil || r.Scripts.Errors != 0 {
		t.Fatalf("%v %+v\n%s", err, r.Scripts, out.String())
	}
}

// realm content init writes the shipped content, which then checks; a
// second init leaves the files alone and says so.
func TestContentInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mine")
	var out, errb bytes.Buffer
	if code := run([]string{"content", "init", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"content", "check", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), ": ok (version") {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run([]string{"content", "init", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "left as they were") {
		t.Fatalf("a second init: exit %d: %s", code, errb.String())
	}
}

// TestZoneMaxVisibleComesFromTheContent: a zone node shows its players the
// content zone's max_visible nearest, unless --max-visible says otherwise.
func TestZoneMaxVisibleComesFromTheContent(t *testing.T) {
	set := &content.Set{Zones: map[string]*content.ZoneDef{"open": {Name: "open", MaxVisible: 150}}}
	for _, c := range []struct {
		flag        bool
		flagValue   int
		want        int
		contentZone string
	}{{false, 0, 150, "open"}, {true, 40, 40, "open"}, {true, 0, 0, "open"}, {false, 0, 0, "elsewhere"}} {
		cfg := zone.Config{ContentZone: c.contentZone}
		cfg.Zone.MaxVisible = c.flagValue
		zoneMaxVisible(&cfg, set, map[string]bool{"max-visible": c.flag})
		if cfg.Zone.MaxVisible != c.want {
			t.Fatalf("flag given %v (%d), content zone %s: %d, want %d", c.flag, c.flagValue, c.contentZone, cfg.Zone.MaxVisible, c.want)
		}
	}
}
