package content

import (
	"errors"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/gridrealm/gridrealm/world"
)

// FuzzLoad replaces one file of a valid content set with arbitrary bytes:
// a designer's typo, a half-saved file, a binary dropped in the directory.
// Load must answer with the set or with Errors that name a file, never
// panic; a set it takes must build every zone and instance it names.
// `make fuzz` runs it for FUZZTIME; `go test` runs its seeds.
func FuzzLoad(f *testing.F) {
	names := fileNames(base())
	for i, name := range names {
		f.Add(uint8(i), base()[name].Data)
	}
	for i, name := range names {
		if b, err := fs.ReadFile(Default(), name); err == nil {
			f.Add(uint8(i), b) // the shipped file in place of the small one
		}
	}
	f.Add(uint8(slices.Index(names, "items.yaml")), []byte("items:\n  pelt: {id: 1, id: 2}\n"))
	f.Add(uint8(slices.Index(names, "zones.yaml")), []byte("zones: [\n"))
	f.Add(uint8(slices.Index(names, "zones.yaml")), []byte("zones:\n  open: &a\n    map: *a\n"))
	f.Add(uint8(slices.Index(names, "scripts/fx.star")), []byte("def drink(ev):\n    drink(ev)\n"))
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		fsys := base()
		fsys[names[int(which)%len(names)]] = &fstest.MapFile{Data: b}
		s, err := Load(fsys, "fuzz")
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Load's error is not a list of Errors: %T %v", err, err)
			}
			for _, e := range es {
				if e.File == "" || e.Msg == "" {
					t.Fatalf("an error without its file or what is wrong: %+v", e)
				}
			}
			return
		}
		for name := range s.Zones {
			var cfg world.ZoneConfig
			if err := s.ZoneConfig(name, &cfg); err != nil {
				t.Fatalf("zone %s was taken but does not build: %v", name, err)
			}
			_ = s.Portals(name)
		}
		for name := range s.Instances {
			if _, err := s.InstanceTemplate(name); err != nil {
				t.Fatalf("instance %s was taken but does not build: %v", name, err)
			}
		}
	})
}

func fileNames(m fstest.MapFS) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
