package codec

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSchemasCoverGeneratedCode parses the generated accessors in net/wire
// and checks that every field of every table is described, at the right
// slot, by the checks in schemas.go. A field added to a .fbs without a check
// fails here instead of panicking a node later.
func TestSchemasCoverGeneratedCode(t *testing.T) {
	fields := generatedFields(t) // table -> accessor -> slot
	described := map[string]bool{}
	for _, s := range schema.all {
		described[s.Name] = true
		gen, ok := fields[s.Name]
		if !ok {
			t.Errorf("schemas.go describes %s, which net/wire does not have", s.Name)
			continue
		}
		have := map[string]uint16{}
		for _, f := range s.Fields {
			have[f.Name] = f.Slot
			if f.Members != nil { // a union: type byte at Slot, value at Slot+2
				have[f.Name+"Type"] = f.Slot
				have[f.Name] = f.Slot + 2
			}
		}
		for name, slot := range gen {
			want, ok := have[name]
			switch {
			case !ok:
				t.Errorf("%s.%s (slot %d) has no check in schemas.go", s.Name, name, slot)
			case want != slot:
				t.Errorf("%s.%s: generated slot %d, schemas.go says %d", s.Name, name, slot, want)
			}
		}
	}
	for name := range fields {
		if !described[name] {
			t.Errorf("net/wire table %s has no check in schemas.go", name)
		}
	}
}

// generatedFields returns, for each generated table, its read accessors and
// the vtable slot each one reads.
func generatedFields(t *testing.T) map[string]map[string]uint16 {
	t.Helper()
	files, err := filepath.Glob("../wire/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated code: %v", err)
	}
	out := map[string]map[string]uint16{}
	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || skipMethod(fn.Name.Name) {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok { // enums' String methods
				continue
			}
			recv := star.X.(*ast.Ident).Name
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Offset" {
					return true
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok {
					return true
				}
				slot, _ := strconv.Atoi(lit.Value)
				name := fn.Name.Name
				for _, suffix := range []string{"Length", "Bytes"} {
					if base, ok := cutSuffix(name, suffix); ok {
						name = base
					}
				}
				if out[recv] == nil {
					out[recv] = map[string]uint16{}
				}
				out[recv][name] = uint16(slot)
				return false
			})
		}
	}
	for _, table := range []string{"Logout", "RealmListRequest", "RealmPopulationRequest"} { // tables without fields
		if out[table] == nil {
			out[table] = map[string]uint16{}
		}
	}
	return out
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
