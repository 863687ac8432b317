package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"strconv"
)

// deterministic are the folders whose non-test code takes time from an
// injected clock and randomness from the world's seeded generator: the
// simulation must replay from a seed, and every node's timing must be
// drivable by a test.
var deterministic = map[string]bool{"ecs": true, "systems": true, "world": true}

// wallClock are the functions of package time that read or wait on the
// wall clock.
var wallClock = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"Tick": true, "NewTimer": true, "NewTicker": true, "AfterFunc": true,
}

// Exceptions: the one file that implements the wall clock behind
// ecs.Clock, and the one that seeds the world's generator.
var (
	clockFile = "ecs/clock.go"
	randFile  = "ecs/world.go"
)

// sourceViolations parses the package's non-test files when its folder is
// deterministic.
func sourceViolations(from string, p pkg) ([]Violation, error) {
	if !deterministic[top(from)] {
		return nil, nil
	}
	var vs []Violation
	fset := token.NewFileSet()
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		file := path.Join(from, name)
		vs = append(vs, fileViolations(fset, file, f)...)
	}
	return vs, nil
}

func fileViolations(fset *token.FileSet, file string, f *ast.File) []Violation {
	var vs []Violation
	timeName := ""
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		switch {
		case (p == "math/rand" || p == "math/rand/v2") && file != randFile:
			vs = append(vs, Violation{From: file, Why: "imports " + p + ": take randomness from the world's seeded generator (ecs.World.Rand or ecs.NewRand)"})
		case p == "time":
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	if timeName == "" || file == clockFile {
		return vs
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == timeName && wallClock[sel.Sel.Name] {
			pos := fset.Position(sel.Pos())
			vs = append(vs, Violation{From: fmt.Sprintf("%s:%d", file, pos.Line),
				Why: "calls time." + sel.Sel.Name + ": read time from the injected ecs.Clock"})
		}
		return true
	})
	return vs
}
