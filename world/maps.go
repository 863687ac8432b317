package world

import (
	"bufio"
	"fmt"
	"io"
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

// LoadMap reads a map file:
//
//	gridrealm-map 1 <tile size in metres>
//	<one line per row of tiles, north first: '.' open, '#' blocked,
//	 '1'-'9' open with that move cost>
//
// Every row must have the same length. Errors name the line and column.
func LoadMap(r io.Reader) (*spatial.Terrain, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), spatial.MaxTiles+2)
	if !sc.Scan() {
		return nil, fmt.Errorf("map line 1: missing header 'gridrealm-map 1 <tile size>'")
	}
	f := strings.Fields(sc.Text())
	if len(f) != 3 || f[0] != "gridrealm-map" || f[1] != "1" {
		return nil, fmt.Errorf("map line 1: header %q, want 'gridrealm-map 1 <tile size>'", sc.Text())
	}
	size, err := strconv.ParseFloat(f[2], 32)
	if err != nil || !(size > 0) {
		return nil, fmt.Errorf("map line 1: tile size %q is not a positive number", f[2])
	}
	var rows []string
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if len(rows) > 0 && len(line) != len(rows[0]) {
			return nil, fmt.Errorf("map line %d: row of %d tiles, the first row has %d", len(rows)+2, len(line), len(rows[0]))
		}
		rows = append(rows, line)
		if len(rows) > spatial.MaxTiles {
			return nil, fmt.Errorf("map line %d: more than %d rows", len(rows)+1, spatial.MaxTiles)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("map line %d: %w", len(rows)+2, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("map: no rows of tiles")
	}
	t, err := spatial.NewTerrain(len(rows[0]), len(rows), float32(size))
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
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
				return nil, fmt.Errorf("map line %d column %d: %q is not a tile ('.', '#' or '1'-'9')", y+2, x+1, c)
			}
		}
	}
	return t, nil
}
