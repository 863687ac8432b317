// Package world holds the zone and instance runtime: maps and their tile
// grid, the schedule of systems a zone runs, and the realm's directory and
// instance pool.
package world
