package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridrealm/gridrealm/persist/store"
)

func TestBenchZonePrintsJSON(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"bench", "zone", "--players", "20", "--npcs", "80", "--ticks", "5", "--warmup", "10", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"players", "npcs", "ticks", "tick_ms", "time_dilation_min", "cell_deltas_per_tick",
		"zone_egress_bytes_per_tick", "naive_egress_bytes_per_tick", "bytes_per_moved_entity", "allocs_per_tick", "state_hash"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{},
		{"fly"},
		{"bench"},
		{"bench", "moon"},
		{"bench", "zone", "--players", "many"},
		{"bench", "zone", "extra"},
		{"registry", "check"},
	}
	for _, args := range cases {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"bench", "zone", "--scenario", "crowd", "--ticks", "1"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "crowd") {
		t.Errorf("bad scenario: exit %d, %q", code, errb.String())
	}
}

func TestRegistryCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"secret": "00112233445566778899aabbccddeeff", "nodes": [{"id": "Z", "role": "zone", "realm": "r", "addr": "127.0.0.1:7000"}]}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"secret": "00112233445566778899aabbccddeeff", "nodes": [{"id": "Z", "role": "wizard", "realm": "r", "addr": "127.0.0.1:7000"}]}`), 0o600)
	var out, errb bytes.Buffer
	if code := run([]string{"registry", "check", good}, &out, &errb); code != 0 || !strings.Contains(out.String(), "1 nodes") {
		t.Fatalf("good registry: %d %s %s", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run([]string{"registry", "check", bad}, &out, &errb); code != 1 || !strings.Contains(errb.String(), `unknown role "wizard"`) {
		t.Fatalf("bad registry: %d %s", code, errb.String())
	}
}

func TestDBDumpListsEveryItemWithItsOwner(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.CreateCharacter("acct", "Dumpy", "Z", 1, 2)
	it, _ := s.GrantItem(c.ID, 0, 42, 3)
	gone, _ := s.GrantItem(c.ID, 0, 43, 1)
	s.DestroyItem(gone.ID, c.ID, 0)
	s.Close()
	var out, errb bytes.Buffer
	if code := run([]string{"db", "dump", "--data", dir, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("dump:\n%s", out.String())
	}
	var item struct{ Item store.Item }
	json.Unmarshal([]byte(lines[1]), &item)
	if item.Item.ID != it.ID || item.Item.Owner != c.ID || item.Item.Template != 42 {
		t.Fatalf("item line %s", lines[1])
	}
	if !strings.Contains(lines[2], `"destroyed":true`) {
		t.Fatalf("tombstone line %s", lines[2])
	}
	if code := run([]string{"db", "dump"}, &out, &errb); code != 2 {
		t.Fatal("dump without --data accepted")
	}
}
