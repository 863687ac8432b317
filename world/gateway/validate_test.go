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
		{"against the wall, rounded onto its edge", 11.99, 10.5, 12, 10.5, moveOK},
		{"against the wall's corner, rounded onto it", 11.99, 9.99, 12, 10, moveOK},
		{"a step into the wall", 11.99, 10.5, 12 + 2.0/256, 10.5, moveBlocked},
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

// TestLaggingClientsAreJudgedByWhatTheyWereShown: a client without
// prediction claims the position of the snapshot it acknowledges; under
// load that lags the authoritative position by more than the slack. The
// claim passes when it matches what that snapshot showed, and fails when
// it matches neither (or the snapshot is forgotten).
func TestLaggingClientsAreJudgedByWhatTheyWereShown(t *testing.T) {
	z := &zoneView{speed: 6}
	p := &player{}
	m := func(metres float64) int32 { return int32(metres * 256) }
	for seq := uint32(1); seq <= 72; seq++ { // walking east at 6 m/s, 20 Hz
		x := m(100 + 0.3*float64(seq))
		p.shown.put(seq, x, m(50))
		p.auth.Store(pack(x, m(50)))
	}
	// Authoritative: x = 121.6 m. The client acknowledges snapshot 62
	// (x = 118.6 m, 3 m behind: within the slack) and 20 (x = 106 m, 15.6 m
	// behind: beyond it, but what it was shown, 2.6 s ago).
	if c := p.judge(z, &codec.Input{Ack: 62, X: m(118.6), Y: m(50)}); c != moveOK {
		t.Fatalf("a claim 3 m behind: %v", c)
	}
	if c := p.judge(z, &codec.Input{Ack: 20, X: m(106), Y: m(50)}); c != moveOK {
		t.Fatalf("a lagging client's claim of what it was shown: %v", c)
	}
	if c := p.judge(z, &codec.Input{Ack: 20, X: m(95), Y: m(50)}); c != moveTooFar {
		t.Fatalf("a claim far from both: %v", c)
	}
	if c := p.judge(z, &codec.Input{Ack: 5, X: m(101.5), Y: m(50)}); c != moveTooFar {
		t.Fatalf("a claim of a forgotten snapshot (ring of 64): %v", c)
	}
	if c := p.judge(z, &codec.Input{Ack: 0, X: m(106), Y: m(50)}); c != moveTooFar {
		t.Fatalf("no acknowledged snapshot: %v", c)
	}
}
