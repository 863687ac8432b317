package main

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultMax is the longest a function may be, in lines, unless allowed.
const DefaultMax = 80

// Func is one function over the limit.
type Func struct {
	File  string // slash path relative to the module
	Name  string // Func or Recv.Method
	Line  int
	Lines int
}

// Key is how the allow-list names the function: path:Name.
func (f Func) Key() string { return f.File + ":" + f.Name }

func (f Func) String() string { return fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Name) }

// Scan lists the functions in dir's Go files longer than maxLines, skipping
// tests, generated files and testdata.
func Scan(dir string, maxLines int) ([]Func, error) {
	var out []Func
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != dir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fs, err := scanFile(dir, path, maxLines)
		out = append(out, fs...)
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, err
}

func scanFile(dir, path string, maxLines int) ([]Func, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	if ast.IsGenerated(f) {
		return nil, nil
	}
	rel, _ := filepath.Rel(dir, path)
	var out []Func
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		start, end := fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line
		if n := end - start + 1; n > maxLines {
			out = append(out, Func{File: filepath.ToSlash(rel), Name: funcName(fd), Line: start, Lines: n})
		}
	}
	return out, nil
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// LoadAllowList reads "path:Func  reason" lines; # starts a comment. A
// line without a reason is an error: the list exists to say why.
func LoadAllowList(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[string]string{}, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, _ := strings.Cut(line, " ")
		if reason = strings.TrimSpace(reason); reason == "" {
			return nil, fmt.Errorf("%s:%d: %s has no reason", path, n, key)
		}
		out[key] = reason
	}
	return out, sc.Err()
}

func allowListFile(dir string) string { return filepath.Join(dir, "tools", "funclen", "allow.txt") }

func contains(fs []Func, key string) bool {
	for _, f := range fs {
		if f.Key() == key {
			return true
		}
	}
	return false
}
