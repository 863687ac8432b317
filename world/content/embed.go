package content

import (
	"embed"
	"io/fs"
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
