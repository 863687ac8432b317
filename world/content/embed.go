package content

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

//go:embed default
var defaultFS embed.FS

// Default returns the content shipped with the engine (the default realm's
// open zone and the crypt), as a directory.
func Default() fs.FS {
	sub, err := fs.Sub(defaultFS, "default")
	if err != nil {
		panic(err) // the embedded directory is part of the build
	}
	return sub
}

// LoadDefault loads the shipped content.
func LoadDefault() (*Set, error) { return Load(Default(), "(default content)") }

// WriteDefault writes the shipped content into dir (made if need be), to
// start a realm's own from: realm content init. Files already there are
// left alone, and named in the error.
func WriteDefault(dir string) error {
	var kept []string
	err := fs.WalkDir(Default(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if _, err := os.Stat(to); err == nil {
			kept = append(kept, p)
			return nil
		}
		b, err := fs.ReadFile(Default(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err == nil && len(kept) > 0 {
		err = fmt.Errorf("%s: %d files there already, left as they were: %s", dir, len(kept), strings.Join(kept, ", "))
	}
	return err
}
