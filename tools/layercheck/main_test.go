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

func TestForbiddenImportFails(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"net/link/link.go":  "package link\n",
		"persist/db/db.go":  "package db\n",
		"ecs/world.go":      "package ecs\nimport _ \"example.com/m/net/link\"\n",
		"systems/move.go":   "package systems\nimport _ \"example.com/m/ecs\"\n",
		"systems/x_test.go": "package systems\nimport _ \"example.com/m/persist/db\"\n",
	})
	vs, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	want := []string{
		"ecs imports net/link: ecs may not depend on net",
		"systems imports persist/db: systems may not depend on persist",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAllowedImportsPass(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"ecs/world.go":      "package ecs\n",
		"systems/move.go":   "package systems\nimport _ \"example.com/m/ecs\"\n",
		"cmd/realm/main.go": "package main\nimport _ \"example.com/m/systems\"\nfunc main() {}\n",
	})
	vs, err := Check(dir)
	if err != nil || len(vs) != 0 {
		t.Fatalf("clean module: %v %v", vs, err)
	}
}

func TestThisModuleIsLayered(t *testing.T) {
	vs, err := Check("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
}
