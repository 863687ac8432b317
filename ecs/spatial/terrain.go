package spatial

import (
	"fmt"
	"math"

	"github.com/kelindar/tile"
)

// Tile bytes: byte 0 holds flags, byte 1 the move cost minus one, so
// that the zero tile is open ground of cost 1.
const (
	tileFlags   = 0
	tileCost    = 1
	flagBlocked = 1 << 0
)

// Terrain is a zone's ground: a grid of square tiles, each walkable or
// blocked, with a move cost (1 = open ground). It wraps a kelindar/tile
// grid for storage, A* paths and BFS searches. Coordinates are in metres
// with (0, 0) at a corner; tile (tx, ty) covers [tx*TileSize, (tx+1)*TileSize).
type Terrain struct {
	grid     *tile.Grid
	tileSize float32
	w, h     int16 // tiles
	// walk mirrors the grid's blocked flags as a bitset for the per-entity
	// checks of every tick, which must not take the grid's page locks.
	walk []uint64
}

// MaxTiles is the largest edge of a terrain in tiles (tile grids come in
// pages of 3 × 3 tiles).
const MaxTiles = math.MaxInt16 / 3 * 3

// NewTerrain returns open terrain of w × h tiles of tileSize metres, every
// tile walkable at cost 1.
func NewTerrain(w, h int, tileSize float32) (*Terrain, error) {
	if w <= 0 || h <= 0 || w > MaxTiles || h > MaxTiles {
		return nil, fmt.Errorf("terrain of %d × %d tiles: each side must be 1..%d", w, h, MaxTiles)
	}
	if !(tileSize > 0) {
		return nil, fmt.Errorf("terrain tile size %v: must be positive", tileSize)
	}
	// The tile grid wants sides that are multiples of 3; the tiles past
	// (w, h) exist there but not here.
	t := &Terrain{grid: tile.NewGrid(int16((w+2)/3*3), int16((h+2)/3*3)), tileSize: tileSize, w: int16(w), h: int16(h)}
	t.walk = make([]uint64, (w*h+63)/64)
	for i := range t.walk {
		t.walk[i] = ^uint64(0)
	}
	// Block the padding so that no path leaves the terrain through it.
	var wall tile.Tile
	wall[tileFlags] = flagBlocked
	gw, gh := t.grid.Size.X, t.grid.Size.Y
	for y := int16(0); y < gh; y++ {
		for x := int16(0); x < gw; x++ {
			if x >= t.w || y >= t.h {
				t.grid.WriteAt(x, y, wall)
			}
		}
	}
	return t, nil
}

// Size returns the terrain's size in metres.
func (t *Terrain) Size() (w, h float32) {
	return float32(t.w) * t.tileSize, float32(t.h) * t.tileSize
}

// Tiles returns the terrain's size in tiles.
func (t *Terrain) Tiles() (w, h int) { return int(t.w), int(t.h) }

// TileSize returns a tile's edge in metres.
func (t *Terrain) TileSize() float32 { return t.tileSize }

// TileAt returns the tile under a point, and false outside the terrain.
func (t *Terrain) TileAt(x, y float32) (tx, ty int16, ok bool) {
	fx, fy := x/t.tileSize, y/t.tileSize
	if !(fx >= 0 && fy >= 0 && fx < float32(t.w) && fy < float32(t.h)) { // also false for NaN
		return 0, 0, false
	}
	return int16(fx), int16(fy), true
}

// SetTile sets a tile's walkability and move cost (cost 0 means 1).
func (t *Terrain) SetTile(tx, ty int16, blocked bool, cost uint8) {
	if tx < 0 || ty < 0 || tx >= t.w || ty >= t.h {
		return
	}
	var tl tile.Tile
	tl[tileCost] = max(cost, 1) - 1
	i := int(ty)*int(t.w) + int(tx)
	if blocked {
		tl[tileFlags] |= flagBlocked
		t.walk[i/64] &^= 1 << (i % 64)
	} else {
		t.walk[i/64] |= 1 << (i % 64)
	}
	t.grid.WriteAt(tx, ty, tl)
}

// WalkableTile reports whether a tile exists and is not blocked.
func (t *Terrain) WalkableTile(tx, ty int16) bool {
	if tx < 0 || ty < 0 || tx >= t.w || ty >= t.h {
		return false
	}
	i := int(ty)*int(t.w) + int(tx)
	return t.walk[i/64]&(1<<(i%64)) != 0
}

// Walkable reports whether a point is on a walkable tile.
func (t *Terrain) Walkable(x, y float32) bool {
	tx, ty, ok := t.TileAt(x, y)
	return ok && t.WalkableTile(tx, ty)
}

// Cost returns a tile's move cost, 0 for a blocked or missing tile.
func (t *Terrain) Cost(tx, ty int16) uint8 {
	if !t.WalkableTile(tx, ty) {
		return 0
	}
	tl, _ := t.grid.At(tx, ty)
	return tl[tileCost] + 1
}

func costOf(tl tile.Tile) uint16 {
	if tl[tileFlags]&flagBlocked != 0 {
		return 0
	}
	return uint16(tl[tileCost]) + 1
}

// LineClear reports whether the straight segment from a to b crosses only
// walkable tiles (sampled every half tile).
func (t *Terrain) LineClear(ax, ay, bx, by float32) bool {
	dx, dy := bx-ax, by-ay
	dist := float32(math.Sqrt(float64(dx*dx + dy*dy)))
	steps := int(dist/(t.tileSize/2)) + 1
	for i := 0; i <= steps; i++ {
		f := float32(i) / float32(steps)
		if !t.Walkable(ax+dx*f, ay+dy*f) {
			return false
		}
	}
	return true
}

// Path returns an A* path of tiles from the tile under a to the tile under
// b, in walking order, without the start tile and with the goal tile;
// false when there is none.
// It allocates; callers recompute paths sparingly.
func (t *Terrain) Path(ax, ay, bx, by float32) ([]tile.Point, bool) {
	sx, sy, ok1 := t.TileAt(ax, ay)
	gx, gy, ok2 := t.TileAt(bx, by)
	if !ok1 || !ok2 || !t.WalkableTile(gx, gy) {
		return nil, false
	}
	path, _, ok := t.grid.Path(tile.At(sx, sy), tile.At(gx, gy), costOf)
	if !ok {
		return nil, false
	}
	// tile returns the tiles between start and goal, goal side first.
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	if sx != gx || sy != gy {
		path = append(path, tile.At(gx, gy))
	}
	return path, true
}

// Around calls fn for every walkable tile reachable from the tile under
// (x, y) within distance tiles, breadth first.
func (t *Terrain) Around(x, y float32, distance uint32, fn func(tx, ty int16)) {
	sx, sy, ok := t.TileAt(x, y)
	if !ok {
		return
	}
	t.grid.Around(tile.At(sx, sy), distance, costOf, func(p tile.Point, _ tile.Tile) { fn(p.X, p.Y) })
}

// Center returns the centre of a tile in metres.
func (t *Terrain) Center(tx, ty int16) (x, y float32) {
	return (float32(tx) + 0.5) * t.tileSize, (float32(ty) + 0.5) * t.tileSize
}
