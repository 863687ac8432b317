// Package spatial holds the engine's space: the terrain (a kelindar/tile
// grid of walkable tiles and move costs, with A* paths and BFS searches),
// the interest grid (square cells, each entity's cell and a slot within
// it), and the per-tick records of what changed in each cell (CellChanges),
// which net/codec encodes as CellDelta messages.
//
// Main types: Terrain, Cells, CellChanges.
package spatial
