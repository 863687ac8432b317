package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBenchZonePrintsJSON(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"bench", "zone", "--players", "20", "--npcs", "80", "--ticks", "5", "--json"}, &out, &errb)
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
