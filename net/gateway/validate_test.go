package gateway

import (
	"testing"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/world"
)

func TestCheckMove(t *testing.T) {
	terrain, _ := spatial.NewTerrain(64, 64, 1)
	terrain.SetTile(12, 10, true, 1) // a wall tile at (12..13, 10..11) m
	at := func(m float64) int32 { return int32(m * 256) }
	cases := []struct {
		name         string
		ax, ay, x, y float64
		want         moveCheck
	}{
		{"on the spot", 10, 10, 10, 10, moveOK},
		{"half a second ahead", 10, 10, 13, 10.5, moveOK},
		{"1.5 times too fast for a while", 10, 10, 15, 10, moveTooFar},
		{"a teleport", 10, 10, 50, 50, moveTooFar},
		{"into the wall", 10.5, 10.5, 12.5, 10.5, moveBlocked},
		{"off the map", 0.5, 0.5, -0.5, 0.5, moveBlocked},
	}
	for _, c := range cases {
		if got := checkMove(terrain, at(c.ax), at(c.ay), at(c.x), at(c.y), 6); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if checkMove(nil, 0, 0, at(1), 0, 6) != moveOK {
		t.Error("without terrain, only distance counts")
	}
}

// TestGatewayRegeneratesTheZoneMap: the terrain a gateway checks moves on
// is the zone's own, tile for tile.
func TestGatewayRegeneratesTheZoneMap(t *testing.T) {
	cfg := world.MapConfig{Width: 300, Height: 200, TileSize: 1, Obstacles: 0.08, Seed: 42}
	zone, _ := world.GenerateMap(cfg)
	gw := zoneTerrain(codec.PlayerEntered{MapSeed: 42, MapWidth: 300, MapHeight: 200, MapTileSize: 1, MapObstacles: 0.08})
	if gw == nil {
		t.Fatal("no terrain")
	}
	for y := int16(0); y < 200; y++ {
		for x := int16(0); x < 300; x++ {
			if zone.WalkableTile(x, y) != gw.WalkableTile(x, y) {
				t.Fatalf("tile (%d, %d) differs", x, y)
			}
		}
	}
	if zoneTerrain(codec.PlayerEntered{MapFile: true, MapWidth: 10, MapHeight: 10}) != nil {
		t.Fatal("a file map cannot be regenerated")
	}
}
