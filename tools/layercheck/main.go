// Command layercheck fails when a package imports across the forbidden
// directions of the project's layering (STYLE.md, "Layering is one-way").
//
//	go run ./tools/layercheck [module dir]
//
// It asks `go list` for every package's imports, test imports included, and
// prints one line per forbidden import.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// allowed lists, per top-level folder, the other folders of the module its
// packages may import. A folder may always import itself; a folder that is
// not listed may import anything. Keep this table in step with DESIGN.md §7.
var allowed = map[string][]string{
	"ecs":     {},                                            // the engine core imports no game code
	"systems": {"ecs"},                                       // gameplay over the core, never the network or the db
	"world":   {"ecs", "systems", "net"},                     // zones run systems and talk over node links
	"persist": {"net"},                                       // the db knows nothing of the zone
	"net":     {"ecs", "world", "persist"},                   // core wire records; gateways check moves on a zone's terrain; login keeps accounts in a store
	"tools":   {"ecs", "systems", "world", "net", "persist"}, // anything but cmd
}

// Violation is one forbidden import.
type Violation struct {
	From, To string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s imports %s: %s may not depend on %s", v.From, v.To, top(v.From), top(v.To))
}

// pkg is the part of `go list -json` this check reads.
type pkg struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
}

// Check lists the forbidden imports of the module in dir.
func Check(dir string) ([]Violation, error) {
	mod, err := goList(dir, "-m", "-f", "{{.Path}}")
	if err != nil {
		return nil, err
	}
	module := strings.TrimSpace(string(mod))
	out, err := goList(dir, "-json", "./...")
	if err != nil {
		return nil, err
	}
	var vs []Violation
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read go list output: %w", err)
		}
		from := rel(module, p.ImportPath)
		seen := map[string]bool{}
		for _, imp := range append(append(p.Imports, p.TestImports...), p.XTestImports...) {
			to, ok := relOK(module, imp)
			if !ok || seen[to] || permitted(top(from), top(to)) {
				continue
			}
			seen[to] = true
			vs = append(vs, Violation{From: from, To: to})
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].String() < vs[j].String() })
	return vs, nil
}

func permitted(from, to string) bool {
	if from == to || to == "" {
		return true
	}
	list, ok := allowed[from]
	if !ok {
		return to != "cmd" || from == "cmd"
	}
	for _, a := range list {
		if a == to {
			return true
		}
	}
	return false
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
	t, _, _ := strings.Cut(rel, "/")
	return t
}

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	vs, err := Check(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "layercheck:", err)
		os.Exit(2)
	}
	for _, v := range vs {
		fmt.Fprintln(os.Stderr, "layercheck:", v)
	}
	if len(vs) > 0 {
		os.Exit(1)
	}
}
