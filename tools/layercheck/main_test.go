package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func check(t *testing.T, dir string, table map[string][]string) []string {
	t.Helper()
	vs, err := Check(dir, table)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	return got
}

func expect(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestForbiddenImportFails(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"net/link/link.go":  "package link\n",
		"persist/db/db.go":  "package db\n",
		"ecs/world.go":      "package ecs\nimport _ \"example.com/m/net/link\"\n",
		"systems/move.go":   "package systems\nimport _ \"example.com/m/ecs\"\n",
		"systems/x_test.go": "package systems\nimport _ \"example.com/m/persist/db\"\n",
	})
	expect(t, check(t, dir, Layers), []string{
		"ecs imports net/link: ecs may not depend on net",
		"systems imports persist/db: systems may not depend on persist",
	})
}

// TestFolderCycleFails: even a table that allows both directions cannot
// let two folders import each other.
func TestFolderCycleFails(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"net/a/a.go":     "package a\nimport _ \"example.com/m/world/b\"\n",
		"world/b/b.go":   "package b\n",
		"world/c/c.go":   "package c\nimport _ \"example.com/m/net/d\"\n",
		"net/d/d.go":     "package d\n",
		"persist/e/e.go": "package e\n",
	})
	loose := map[string][]string{"net": {"world"}, "world": {"net"}, "persist": {}}
	expect(t, check(t, dir, loose), []string{
		"net: folder import cycle net → world → net",
	})
	// The project's table forbids one of the two imports as well.
	expect(t, check(t, dir, Layers), []string{
		"net/a imports world/b: net may not depend on world",
		"net: folder import cycle net → world → net",
	})
}

func TestUnknownFolderFails(t *testing.T) {
	dir := writeModule(t, map[string]string{"misc/x/x.go": "package x\n"})
	expect(t, check(t, dir, Layers), []string{"misc/x: folder misc is not in the layer table"})
}

func TestWallClockAndRandInSimulationFail(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"ecs/clock.go":       "package ecs\nimport \"time\"\nfunc Now() time.Time { return time.Now() }\n",
		"ecs/world.go":       "package ecs\nimport _ \"math/rand/v2\"\n",
		"systems/ai.go":      "package systems\nimport (\n\t\"math/rand\"\n\tt \"time\"\n)\nvar _ = rand.Int\nfunc f() { t.Sleep(t.Second) }\n",
		"systems/ai_test.go": "package systems\nimport \"time\"\nvar _ = time.Now\n",
		"net/n/n.go":         "package n\nimport \"time\"\nvar _ = time.Now\n",
	})
	expect(t, check(t, dir, Layers), []string{
		"systems/ai.go: imports math/rand: take randomness from the world's seeded generator (ecs.World.Rand or ecs.NewRand)",
		"systems/ai.go:7: calls time.Sleep: read time from the injected ecs.Clock",
	})
}

func TestAllowedImportsPass(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"ecs/world.go":      "package ecs\n",
		"systems/move.go":   "package systems\nimport _ \"example.com/m/ecs\"\n",
		"cmd/realm/main.go": "package main\nimport _ \"example.com/m/systems\"\nfunc main() {}\n",
	})
	expect(t, check(t, dir, Layers), nil)
}

// TestLayersAreADAG: the table itself admits no cycle.
func TestLayersAreADAG(t *testing.T) {
	edges := map[string]map[string]bool{}
	for from, tos := range Layers {
		edges[from] = map[string]bool{}
		for _, to := range tos {
			edges[from][to] = true
		}
	}
	if vs := cycles(edges); len(vs) > 0 {
		t.Fatalf("the layer table has cycles: %v", vs)
	}
}

func TestThisModuleIsLayered(t *testing.T) {
	for _, v := range check(t, "../..", Layers) {
		t.Error(v)
	}
}
