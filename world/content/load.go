package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
	"go.yaml.in/yaml/v3"
)

// Error is one mistake in a content set: the file, the line, the field
// (a path such as npcs.goblin.loot[0].chance) and what is wrong.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	return b.String() + ": " + e.Msg
}

// Errors is every mistake a load found, in file order.
type Errors []Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// source is one YAML file as read: its sections and where each field is.
type source struct {
	name  string
	file  File
	lines map[string]int // field path → line
}

// line returns the line of a field, or of the nearest enclosing field
// that has one.
func (s *source) line(field string) int {
	for f := field; f != ""; {
		if l, ok := s.lines[f]; ok {
			return l
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return 0
}

// loader collects what a load reads and every mistake it finds.
type loader struct {
	fsys    fs.FS
	errs    Errors
	sources []*source
	scripts map[string]*scriptFile
	digest  []byte
}

func (l *loader) fail(file string, line int, field, format string, a ...any) {
	l.errs = append(l.errs, Error{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)})
}

// readYAML reads one file: syntax, unknown fields (with their line) and
// types are checked here, the meaning later.
func (l *loader) readYAML(name string, b []byte) *source {
	src := &source{name: name, lines: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line, msg := yamlLine(err.Error())
		l.fail(name, line, "", "%s", msg)
		return nil
	}
	if len(doc.Content) == 0 {
		return src // an empty file
	}
	root := doc.Content[0]
	before := len(l.errs)
	l.walk(src, root, reflect.TypeOf(File{}), "")
	if len(l.errs) > before {
		return nil
	}
	if err := root.Decode(&src.file); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				line, msg := yamlLine(e)
				l.fail(name, line, "", "%s", msg)
			}
		} else {
			l.fail(name, root.Line, "", "%v", err)
		}
		return nil
	}
	return src
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlLine splits "yaml: line N: msg" into N and msg.
func yamlLine(s string) (int, string) {
	if m := lineRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, strings.TrimPrefix(s, m[0])
	}
	return 0, strings.TrimPrefix(s, "yaml: ")
}

// walk records the line of every field under n and reports the keys the
// schema t does not have.
func (l *loader) walk(src *source, n *yaml.Node, t reflect.Type, at string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	src.lines[at] = n.Line
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // Decode reports the type
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != "" && tag != "-" {
				fields[tag] = f.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			field := join(at, k.Value)
			src.lines[field] = k.Line
			ft, ok := fields[k.Value]
			if !ok {
				l.fail(src.name, k.Line, field, "unknown field (the fields here: %s)", strings.Join(sortedKeys(fields), ", "))
				continue
			}
			l.walk(src, v, ft, field)
			src.lines[field] = k.Line
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			field := join(at, k.Value)
			l.walk(src, v, t.Elem(), field)
			src.lines[field] = k.Line
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, v := range n.Content {
			l.walk(src, v, t.Elem(), fmt.Sprintf("%s[%d]", at, i))
		}
	}
}

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// scriptFile is a script as compiled: its top-level functions known
// without running it.
type scriptFile struct {
	name  string
	prog  *starlark.Program
	funcs map[string]int // function → line of its def
}

// APIName is the one name a script finds predeclared beyond Starlark's
// built-ins: the module of the engine's API (world/script).
const APIName = "world"

// scriptOptions are the dialect of designers' scripts: Starlark's own
// (no while loops, no recursion, no reassigned globals), so that a handler
// ends within its step budget and cannot keep state between calls.
var scriptOptions = &syntax.FileOptions{Set: true}

// readScript parses and resolves a script against the API's names.
func (l *loader) readScript(name string, b []byte) {
	f, err := scriptOptions.Parse(name, b, 0)
	var prog *starlark.Program
	if err == nil {
		_, prog, err = starlark.SourceProgramOptions(scriptOptions, name, b, func(n string) bool { return n == APIName })
	}
	if err != nil {
		var se syntax.Error
		var re resolve.ErrorList
		switch {
		case errors.As(err, &se):
			l.fail(name, int(se.Pos.Line), "", "%s", se.Msg)
		case errors.As(err, &re):
			for _, e := range re {
				l.fail(name, int(e.Pos.Line), "", "%s", e.Msg)
			}
		default:
			l.fail(name, 0, "", "%v", err)
		}
	}
	if err != nil {
		return
	}
	sf := &scriptFile{name: name, prog: prog, funcs: map[string]int{}}
	for _, st := range f.Stmts {
		if d, ok := st.(*syntax.DefStmt); ok {
			sf.funcs[d.Name.Name] = int(d.Def.Line)
		}
	}
	l.scripts[path.Base(name)] = sf
}

// readDir reads every YAML file of the directory, its scripts/*.star, and
// digests them (the content's version).
func (l *loader) readDir() {
	h := sha256.New()
	yamls, err := fs.Glob(l.fsys, "*.yaml")
	if err != nil || len(yamls) == 0 {
		l.fail(".", 0, "", "no *.yaml files")
		return
	}
	stars, _ := fs.Glob(l.fsys, "scripts/*.star")
	for _, name := range append(yamls, stars...) {
		b, err := fs.ReadFile(l.fsys, name)
		if err != nil {
			l.fail(name, 0, "", "%v", err)
			continue
		}
		h.Write([]byte(name))
		h.Write(b)
		if strings.HasSuffix(name, ".star") {
			l.readScript(name, b)
			continue
		}
		if bytes.IndexByte(b, 0) >= 0 {
			l.fail(name, 0, "", "not a text file")
			continue
		}
		if src := l.readYAML(name, b); src != nil {
			l.sources = append(l.sources, src)
		}
	}
	l.digest = h.Sum(nil)
}

func shortDigest(d []byte) string { return hex.EncodeToString(d)[:12] }
