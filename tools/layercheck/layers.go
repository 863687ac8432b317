package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Layers lists, per top-level folder, the other folders its packages may
// import. A folder may always import itself; a folder missing from the
// table is a violation of its own. The table is a DAG (a test proves it):
//
//	ecs ← systems
//	ecs ← net ← persist
//	ecs, systems, net, persist ← world
//	ecs, net ← clients (the client kits beyond Go)
//	everything but cmd ← tools;  everything ← cmd
//
// Keep it in step with ARCHITECTURE.md.
var Layers = map[string][]string{
	"ecs":     {},                                            // the engine core imports no game code
	"systems": {"ecs"},                                       // gameplay over the core, never the network or the db
	"net":     {"ecs"},                                       // transport and wire; the codec quantizes with ecs/spatial
	"persist": {"net"},                                       // the db and backup roles over node links; nothing of the zone
	"world":   {"ecs", "systems", "net", "persist"},          // zones and the roles a player passes through
	"clients": {"ecs", "net"},                                // client kits beyond Go: their tests hold them against the codec
	"tools":   {"ecs", "systems", "net", "persist", "world"}, // anything but cmd
	"cmd":     {"ecs", "systems", "net", "persist", "world", "tools", "clients"},
}

// Violation is one broken rule, said in a line.
type Violation struct {
	From, To string // packages or folders, relative to the module
	Why      string
}

func (v Violation) String() string {
	if v.To == "" {
		return fmt.Sprintf("%s: %s", v.From, v.Why)
	}
	return fmt.Sprintf("%s imports %s: %s", v.From, v.To, v.Why)
}

// pkg is the part of `go list -json` this check reads.
type pkg struct {
	ImportPath                         string
	Dir                                string
	GoFiles                            []string
	Imports, TestImports, XTestImports []string
}

// Check lists the violations of the module in dir against the table.
func Check(dir string, table map[string][]string) ([]Violation, error) {
	module, pkgs, err := listPackages(dir)
	if err != nil {
		return nil, err
	}
	var vs []Violation
	edges := map[string]map[string]bool{} // folder graph as imported
	for _, p := range pkgs {
		from := rel(module, p.ImportPath)
		vs = append(vs, importViolations(module, from, p, table, edges)...)
		fileVs, err := sourceViolations(from, p)
		if err != nil {
			return nil, err
		}
		vs = append(vs, fileVs...)
	}
	vs = append(vs, cycles(edges)...)
	sort.Slice(vs, func(i, j int) bool { return vs[i].String() < vs[j].String() })
	return vs, nil
}

func importViolations(module, from string, p pkg, table map[string][]string, edges map[string]map[string]bool) []Violation {
	var vs []Violation
	if _, ok := table[top(from)]; !ok && top(from) != "" {
		vs = append(vs, Violation{From: from, Why: fmt.Sprintf("folder %s is not in the layer table", top(from))})
	}
	seen := map[string]bool{}
	for _, imp := range append(append(p.Imports, p.TestImports...), p.XTestImports...) {
		to, ok := relOK(module, imp)
		if !ok || seen[to] || to == from {
			continue
		}
		seen[to] = true
		if top(from) != top(to) && top(to) != "" {
			if edges[top(from)] == nil {
				edges[top(from)] = map[string]bool{}
			}
			edges[top(from)][top(to)] = true
		}
		if !permitted(table, top(from), top(to)) {
			vs = append(vs, Violation{From: from, To: to, Why: fmt.Sprintf("%s may not depend on %s", top(from), top(to))})
		}
	}
	return vs
}

func permitted(table map[string][]string, from, to string) bool {
	if from == to || to == "" || from == "" {
		return true
	}
	for _, a := range table[from] {
		if a == to {
			return true
		}
	}
	return false
}

// cycles reports every cycle of the folder graph, each once, starting at
// its smallest folder name.
func cycles(edges map[string]map[string]bool) []Violation {
	var vs []Violation
	seen := map[string]bool{}
	var nodes []string
	for n := range edges {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	var walk func(start, at string, path []string)
	walk = func(start, at string, path []string) {
		var next []string
		for n := range edges[at] {
			next = append(next, n)
		}
		sort.Strings(next)
		for _, n := range next {
			switch {
			case n == start:
				c := strings.Join(append(path, start), " → ")
				if !seen[c] {
					seen[c] = true
					vs = append(vs, Violation{From: start, Why: "folder import cycle " + c})
				}
			case n > start && !contains(path, n):
				walk(start, n, append(path, n))
			}
		}
	}
	for _, n := range nodes {
		walk(n, n, []string{n})
	}
	return vs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func listPackages(dir string) (string, []pkg, error) {
	mod, err := goList(dir, "-m", "-f", "{{.Path}}")
	if err != nil {
		return "", nil, err
	}
	out, err := goList(dir, "-json", "./...")
	if err != nil {
		return "", nil, err
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", nil, fmt.Errorf("read go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return strings.TrimSpace(string(mod)), pkgs, nil
}

func goList(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s in %s: %v: %s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return out, nil
}

func rel(module, path string) string {
	r, _ := relOK(module, path)
	return r
}

func relOK(module, path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

func top(rel string) string {
	t, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	return t
}
