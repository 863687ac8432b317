package world

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WorldMap lays a realm's open zones out side by side, as a file:
//
//	gridrealm-world 1
//	DEV-ZONE-1 DEV-ZONE-3
//	DEV-ZONE-4 .
//
// one line per row of zones, north first, each zone a node id and "." for
// none. Zones next to each other in a row or a column share a border: a
// player who walks off one's edge arrives in the other (their maps are the
// same size). A zone appears once.
type WorldMap struct {
	rows [][]string
}

// LoadWorldMap reads a world map file; errors name the line.
func LoadWorldMap(r io.Reader) (*WorldMap, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() || strings.Join(strings.Fields(sc.Text()), " ") != "gridrealm-world 1" {
		return nil, fmt.Errorf("world map line 1: want the header 'gridrealm-world 1'")
	}
	m := &WorldMap{}
	seen := map[string]int{}
	line := 1
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(m.rows) > 0 && len(f) != len(m.rows[0]) {
			return nil, fmt.Errorf("world map line %d: %d zones, the first row has %d", line, len(f), len(m.rows[0]))
		}
		for _, id := range f {
			if id == "." {
				continue
			}
			if !validZoneID(id) {
				return nil, fmt.Errorf("world map line %d: zone %q: want a node id (letters, digits, '-', '_', '.')", line, id)
			}
			if at, dup := seen[id]; dup {
				return nil, fmt.Errorf("world map line %d: zone %s appears again (first on line %d)", line, id, at)
			}
			seen[id] = line
		}
		m.rows = append(m.rows, f)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("world map line %d: %w", line+1, err)
	}
	if len(m.rows) == 0 {
		return nil, fmt.Errorf("world map: no rows of zones")
	}
	return m, nil
}

// Neighbours returns the zones beyond id's east, west, north and south
// edges ("" for none); ok is false when id is not on the map.
func (m *WorldMap) Neighbours(id string) (east, west, north, south string, ok bool) {
	at := func(r, c int) string {
		if r < 0 || r >= len(m.rows) || c < 0 || c >= len(m.rows[r]) || m.rows[r][c] == "." {
			return ""
		}
		return m.rows[r][c]
	}
	for r, row := range m.rows {
		for c, z := range row {
			if z == id {
				return at(r, c+1), at(r, c-1), at(r-1, c), at(r+1, c), true // row 0 is the north
			}
		}
	}
	return "", "", "", "", false
}
