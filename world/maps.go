package world

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// MapConfig describes a generated map: open land with rectangular
// obstacles, the same for the same seed.
type MapConfig struct {
	// Width and Height in metres (default 1024 each).
	Width, Height float32
	// TileSize is a tile's edge in metres (default 1).
	TileSize float32
	// Obstacles is the share of the area covered by obstacles (default
	// 0.05; 0 < Obstacles < 0.5, or negative for none).
	Obstacles float64
	// Seed picks the obstacles.
	Seed uint64
}

// GenerateMap returns the terrain cfg describes.
func GenerateMap(cfg MapConfig) (*spatial.Terrain, error) {
	if cfg.Width == 0 {
		cfg.Width = 1024
	}
	if cfg.Height == 0 {
		cfg.Height = 1024
	}
	if cfg.TileSize == 0 {
		cfg.TileSize = 1
	}
	if cfg.Obstacles == 0 {
		cfg.Obstacles = 0.05
	}
	if cfg.Obstacles >= 0.5 {
		return nil, fmt.Errorf("map obstacles %.2f: must be below 0.5", cfg.Obstacles)
	}
	tw, th := int(cfg.Width/cfg.TileSize), int(cfg.Height/cfg.TileSize)
	t, err := spatial.NewTerrain(tw, th, cfg.TileSize)
	if err != nil {
		return nil, err
	}
	if cfg.Obstacles < 0 {
		return t, nil
	}
	rng := ecs.NewRand(cfg.Seed, 0x6d617073)
	covered, target := 0, int(float64(tw*th)*cfg.Obstacles)
	for covered < target {
		w, h := 2+rng.IntN(7), 2+rng.IntN(7)
		x0, y0 := rng.IntN(max(tw-w, 1)), rng.IntN(max(th-h, 1))
		for y := y0; y < y0+h && y < th; y++ {
			for x := x0; x < x0+w && x < tw; x++ {
				if t.WalkableTile(int16(x), int16(y)) {
					t.SetTile(int16(x), int16(y), true, 1)
					covered++
				}
			}
		}
	}
	return t, nil
}

// Portal is a tile area of a map that leads to another zone: a player who
// steps into it is handed off to Zone, arriving at (ArriveX, ArriveY) of
// that zone's map. A Zone of "instance:TEMPLATE" leads into a copy of an
// instance template the realm opens from its pool (the copy's entry is the
// arrival).
type Portal struct {
	X0, Y0, X1, Y1   float32 // the area, metres, X0 < X1 and Y0 < Y1
	Zone             string  // the target zone node's id
	ArriveX, ArriveY float32 // where the player appears there, metres
}

// Contains reports whether (x, y) is in the portal's area.
func (p Portal) Contains(x, y float32) bool {
	return x >= p.X0 && x < p.X1 && y >= p.Y0 && y < p.Y1
}

// ParsePortal reads "x0 y0 x1 y1 zone arrive-x arrive-y" (metres; the area
// from its south-west corner to its north-east one) and checks it against a
// map of w × h metres.
func ParsePortal(f []string, w, h float32) (Portal, error) {
	if len(f) != 7 {
		return Portal{}, fmt.Errorf("portal: %d fields, want 'x0 y0 x1 y1 zone arrive-x arrive-y'", len(f))
	}
	var n [6]float32
	for i, k := range []int{0, 1, 2, 3, 5, 6} {
		v, err := strconv.ParseFloat(f[k], 32)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Portal{}, fmt.Errorf("portal field %d: %q is not a number", k+1, f[k])
		}
		n[i] = float32(v)
	}
	p := Portal{X0: n[0], Y0: n[1], X1: n[2], Y1: n[3], Zone: f[4], ArriveX: n[4], ArriveY: n[5]}
	switch {
	case !(p.X0 < p.X1 && p.Y0 < p.Y1):
		return p, fmt.Errorf("portal: area (%g, %g)-(%g, %g) is empty: want x0 < x1 and y0 < y1", p.X0, p.Y0, p.X1, p.Y1)
	case p.X0 < 0 || p.Y0 < 0 || p.X1 > w || p.Y1 > h:
		return p, fmt.Errorf("portal: area (%g, %g)-(%g, %g) is not within the map's %g × %g m", p.X0, p.Y0, p.X1, p.Y1, w, h)
	case p.ArriveX < 0 || p.ArriveY < 0:
		return p, fmt.Errorf("portal: arrival (%g, %g) is outside any map", p.ArriveX, p.ArriveY)
	case !validZoneID(strings.TrimPrefix(p.Zone, "instance:")):
		return p, fmt.Errorf("portal: zone %q: want a node id (letters, digits, '-', '_', '.'), or instance:TEMPLATE", p.Zone)
	}
	return p, nil
}

func validZoneID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// LoadMap reads a map file without its portals (see LoadMapFile).
func LoadMap(r io.Reader) (*spatial.Terrain, error) {
	t, _, err := LoadMapFile(r)
	return t, err
}

// LoadMapFile reads a map file:
//
//	gridrealm-map 1 <tile size in metres>
//	<one line per row of tiles, north first: '.' open, '#' blocked,
//	 '1'-'9' open with that move cost>
//	portal <x0> <y0> <x1> <y1> <zone> <arrive x> <arrive y>   (any number)
//
// Every row must have the same length; portal lines come after the rows
// (see ParsePortal). Errors name the line and column.
func LoadMapFile(r io.Reader) (*spatial.Terrain, []Portal, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), spatial.MaxTiles+2)
	if !sc.Scan() {
		return nil, nil, fmt.Errorf("map line 1: missing header 'gridrealm-map 1 <tile size>'")
	}
	f := strings.Fields(sc.Text())
	if len(f) != 3 || f[0] != "gridrealm-map" || f[1] != "1" {
		return nil, nil, fmt.Errorf("map line 1: header %q, want 'gridrealm-map 1 <tile size>'", sc.Text())
	}
	size, err := strconv.ParseFloat(f[2], 32)
	if err != nil || !(size > 0) || math.IsInf(size, 0) {
		return nil, nil, fmt.Errorf("map line 1: tile size %q is not a positive number", f[2])
	}
	var rows []string
	var portalLines [][]string
	var portalAt []int
	line := 1
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(text, "portal "); ok {
			portalLines, portalAt = append(portalLines, strings.Fields(rest)), append(portalAt, line)
			continue
		}
		if len(portalLines) > 0 {
			return nil, nil, fmt.Errorf("map line %d: a row of tiles after the portals", line)
		}
		if len(rows) > 0 && len(text) != len(rows[0]) {
			return nil, nil, fmt.Errorf("map line %d: row of %d tiles, the first row has %d", line, len(text), len(rows[0]))
		}
		rows = append(rows, text)
		if len(rows) > spatial.MaxTiles {
			return nil, nil, fmt.Errorf("map line %d: more than %d rows", line, spatial.MaxTiles)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("map line %d: %w", line+1, err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("map: no rows of tiles")
	}
	t, err := spatial.NewTerrain(len(rows[0]), len(rows), float32(size))
	if err != nil {
		return nil, nil, fmt.Errorf("map: %w", err)
	}
	for y, row := range rows {
		ty := int16(len(rows) - 1 - y) // the file's first row is the north edge
		for x, c := range []byte(row) {
			switch {
			case c == '.':
			case c == '#':
				t.SetTile(int16(x), ty, true, 1)
			case c >= '1' && c <= '9':
				t.SetTile(int16(x), ty, false, c-'0')
			default:
				return nil, nil, fmt.Errorf("map line %d column %d: %q is not a tile ('.', '#' or '1'-'9')", y+2, x+1, c)
			}
		}
	}
	w, h := t.Size()
	var portals []Portal
	for i, pf := range portalLines {
		p, err := ParsePortal(pf, w, h)
		if err != nil {
			return nil, nil, fmt.Errorf("map line %d: %w", portalAt[i], err)
		}
		portals = append(portals, p)
	}
	return t, portals, nil
}
