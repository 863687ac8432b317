package gateway

import (
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
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
	z := &moveRules{speed: 6}
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
	// Snapshots 73..100 did not show the player itself (its cell being
	// resent): the client still claims what 72 showed (121.6 m) while the
	// zone walks it on, 8.4 m further. It is judged by 72.
	for seq := uint32(73); seq <= 100; seq++ {
		p.auth.Store(pack(m(100+0.3*float64(seq)), m(50)))
	}
	if c := p.judge(z, &codec.Input{Ack: 100, X: m(121.6), Y: m(50)}); c != moveOK {
		t.Fatalf("a claim of the last snapshot that showed the player itself: %v", c)
	}
	if c := p.judge(z, &codec.Input{Ack: 100, X: m(110), Y: m(50)}); c != moveTooFar {
		t.Fatalf("a claim far from what any snapshot showed: %v", c)
	}
}

// Impossible claims count against a player at most once per correction
// (four a second), and not at all while it is behind its snapshots (its
// acknowledged snapshot lagTicks or more older than the newest sent): a
// starved client is corrected, never disconnected for lag, while one that
// keeps cheating with fresh snapshots still reaches the limit.
func TestLagIsNotCounted(t *testing.T) {
	var p player
	now := time.Unix(1000, 0)
	p.sent.Store(500)
	lagging := &codec.Input{Ack: 480}
	corrections := 0
	for i := 0; i < 20*60; i++ { // a minute of inputs at 20 a second
		now = now.Add(50 * time.Millisecond)
		p.decay(now)
		if correct, excused := p.charge(now, lagging); correct {
			corrections++
		} else if !excused {
			t.Fatal("a lagging claim was not excused")
		}
	}
	if p.violations != 0 || corrections < 200 {
		t.Fatalf("a lagging client: %v violations, %d corrections", p.violations, corrections)
	}
	var q player
	q.sent.Store(500)
	for seq := uint32(437); seq <= 500; seq++ {
		q.shown.put(seq, 0, 0) // every snapshot showed it itself
	}
	fresh := &codec.Input{Ack: 499}
	for i := 0; i < 20*60 && q.violations <= violationLimit; i++ {
		now = now.Add(50 * time.Millisecond)
		q.decay(now)
		q.charge(now, fresh)
		if i < 20*10 && q.violations > violationLimit {
			t.Fatalf("over the limit after %d inputs: violations count more than once per correction", i)
		}
	}
	if q.violations <= violationLimit {
		t.Fatalf("a client cheating with fresh snapshots for a minute: %v violations", q.violations)
	}
}

// TestABlindClientIsNotCounted: a client whose snapshots stopped showing it
// itself (its gateway mirrors no cell it is in) acknowledges fresh ones but
// predicts blind, and its claims drift from where the zone has it. Those
// claims are corrected and never counted: in an overload run, five honest
// bots were disconnected for them. Shown itself again, it counts.
func TestABlindClientIsNotCounted(t *testing.T) {
	var p player
	now := time.Unix(1000, 0)
	for seq := uint32(1); seq <= 40; seq++ {
		p.shown.put(seq, 0, 0)
	}
	corrections := 0
	for seq := uint32(41); seq <= 41+20*60; seq++ { // a minute of snapshots without it
		p.sent.Store(seq)
		now = now.Add(50 * time.Millisecond)
		p.decay(now)
		correct, excused := p.charge(now, &codec.Input{Ack: seq - 1})
		if correct {
			corrections++
		}
		if seq-1 > 40+uint32(len(p.shown.seq)) && !excused {
			t.Fatalf("snapshot %d: a claim %d snapshots after the last that showed the player was counted", seq, seq-41)
		}
	}
	if p.violations > violationLimit/2 || corrections < 200 {
		t.Fatalf("a blind client: %v violations, %d corrections", p.violations, corrections)
	}
	seq := p.sent.Load()
	for i := 0; i < 20*60 && p.violations <= violationLimit; i++ {
		seq++
		p.sent.Store(seq)
		p.shown.put(seq, 0, 0)
		now = now.Add(50 * time.Millisecond)
		p.decay(now)
		p.charge(now, &codec.Input{Ack: seq})
	}
	if p.violations <= violationLimit {
		t.Fatalf("shown itself again and cheating for a minute: %v violations", p.violations)
	}
}

// TestACopyWithAnotherMapIsCheckedOnIt: an instance node of the pool hosts
// one copy after another under one node id; a gateway's view of it takes
// each copy's map when a player enters it, and keeps its view (and its
// players') otherwise.
func TestACopyWithAnotherMapIsCheckedOnIt(t *testing.T) {
	g := &Node{clock: ecs.RealClock{}, zones: map[string]*zoneView{}}
	crypt := func(seed uint64) codec.PlayerEntered {
		return codec.PlayerEntered{MapSeed: seed, MapWidth: 96, MapHeight: 96, MapTileSize: 1, MapObstacles: 0.2, PlayerSpeed: 6, CellSize: 32, TickHz: 20}
	}
	enter := func(pe codec.PlayerEntered) *zoneView { return g.zoneFor("DEV-INSTANCE-1", pe, g.maps.rules(pe)) }
	first := enter(crypt(1))
	rules := first.moves.Load()
	if again := enter(crypt(1)); again != first || again.moves.Load() != rules {
		t.Fatal("the same copy's entry made a new view or new rules")
	}
	next := enter(crypt(4))
	if next != first {
		t.Fatal("a new view for the same node: its players and cells would be lost")
	}
	now := next.moves.Load()
	if now == rules || now.key.seed != 4 || now.terrain == nil {
		t.Fatalf("the next copy is checked on %+v", now.key)
	}
	want, _ := world.GenerateMap(world.MapConfig{Width: 96, Height: 96, TileSize: 1, Obstacles: 0.2, Seed: 4})
	differ := 0
	for y := int16(0); y < 96; y++ {
		for x := int16(0); x < 96; x++ {
			if now.terrain.WalkableTile(x, y) != want.WalkableTile(x, y) {
				t.Fatalf("tile (%d, %d) is not the copy's", x, y)
			}
			if rules.terrain.WalkableTile(x, y) != want.WalkableTile(x, y) {
				differ++
			}
		}
	}
	if differ == 0 {
		t.Fatal("the two copies' maps are the same: the test tests nothing")
	}
}

// A gateway keeps the maps it regenerated: a player entering a map it has
// seen costs no generation, and it keeps the last rulesKept.
func TestTheGatewayKeepsItsMaps(t *testing.T) {
	var b ruleBook
	crypt := func(seed uint64) codec.PlayerEntered {
		return codec.PlayerEntered{MapSeed: seed, MapWidth: 64, MapHeight: 64, MapTileSize: 1, MapObstacles: 0.2, PlayerSpeed: 6}
	}
	var wg sync.WaitGroup
	got := make([]*moveRules, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = b.rules(crypt(1)) }()
	}
	wg.Wait()
	for _, r := range got {
		if r != got[0] || r.terrain == nil {
			t.Fatal("players entering one map at once got different rules")
		}
	}
	for seed := uint64(2); seed <= rulesKept+1; seed++ {
		if b.rules(crypt(seed)) != b.rules(crypt(seed)) {
			t.Fatalf("map %d generated twice", seed)
		}
	}
	if len(b.byKey) != rulesKept || b.byKey[mapKeyOf(crypt(1))] != nil {
		t.Fatalf("%d maps kept; the oldest kept: %v", len(b.byKey), b.byKey[mapKeyOf(crypt(1))] != nil)
	}
	if r := b.rules(crypt(1)); r == got[0] || r.key != got[0].key {
		t.Fatal("a map let go is not generated again")
	}
}
