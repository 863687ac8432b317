package gateway

import (
	"math"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/world"
)

// Move validation. The zone moves characters by intent; a client's claimed
// position (where it predicts it stands) is checked against the
// authoritative one and the zone's terrain. A claim off by more than
// `slack` seconds of top speed plus a metre (room for 200 ms of jitter and
// a tick of lag), or on a blocked tile, is corrected: the player is told
// its authoritative position. Corrections count against the player; too
// many disconnect it.
const (
	slack          = 0.5 // seconds of top speed a claim may lead or lag
	slackMetres    = 1.0
	correctEvery   = 250 // ms between two corrections of one player
	violationLimit = 50  // violations, decaying by one per second, before a disconnect
)

// moveCheck is why a claimed position was refused.
type moveCheck uint8

const (
	moveOK moveCheck = iota
	moveTooFar
	moveBlocked
)

func (c moveCheck) String() string {
	return [...]string{"ok", "too far", "blocked"}[c]
}

// checkMove judges a claim (x, y, 1/256 m) against the authoritative
// position (ax, ay) for a character of top speed m/s, on terrain (nil: no
// terrain check).
func checkMove(t *spatial.Terrain, ax, ay, x, y int32, speed float32) moveCheck {
	dx, dy := float64(x-ax)/spatial.PosSteps, float64(y-ay)/spatial.PosSteps
	if math.Hypot(dx, dy) > float64(speed)*slack+slackMetres {
		return moveTooFar
	}
	if t != nil && !walkableWithin(t, x, y) {
		return moveBlocked
	}
	return moveOK
}

// walkableWithin reports whether (x, y) (1/256 m) is walkable, or one
// quantization step from walkable ground: a character standing against a
// wall is a hair from it, and rounding its position to 1/256 m can put it
// on the wall's edge. (Honest bots pushing into walls were disconnected
// for it.)
func walkableWithin(t *spatial.Terrain, x, y int32) bool {
	for _, d := range [...][2]int32{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, 1}, {-1, -1}} {
		if t.Walkable(float32(x+d[0])/spatial.PosSteps, float32(y+d[1])/spatial.PosSteps) {
			return true
		}
	}
	return false
}

// zoneTerrain regenerates a zone's map from what the zone told, or nil
// when it cannot be (a map loaded from a file).
func zoneTerrain(pe codec.PlayerEntered) *spatial.Terrain {
	if pe.MapFile || pe.MapWidth <= 0 || pe.MapHeight <= 0 {
		return nil
	}
	obstacles := float64(pe.MapObstacles)
	t, err := world.GenerateMap(world.MapConfig{Width: pe.MapWidth, Height: pe.MapHeight, TileSize: pe.MapTileSize,
		Obstacles: obstacles, Seed: pe.MapSeed})
	if err != nil {
		return nil
	}
	return t
}
