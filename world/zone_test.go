package world

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/systems"
)

// testZone builds a small zone with bots and NPCs around the centre.
func testZone(t testing.TB, seed uint64, players, npcs int) *Zone {
	t.Helper()
	return testZoneClock(t, seed, players, npcs, nil)
}

// testZoneClock is testZone on a clock.
func testZoneClock(t testing.TB, seed uint64, players, npcs int, clock ecs.Clock) *Zone {
	t.Helper()
	z, err := NewZone(ZoneConfig{Name: "TEST", Seed: seed, Map: MapConfig{Width: 256, Height: 256}}, clock)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < npcs; i++ {
		x, y, _ := z.RandomWalkable(128, 128, 100)
		if _, err := z.SpawnNPC(x, y, 1, 1); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < players; i++ {
		x, y, _ := z.RandomWalkable(128, 128, 60)
		e, err := z.SpawnPlayer(x, y, 0)
		if err != nil {
			t.Fatal(err)
		}
		z.MakeBot(e, 128, 128, 60)
	}
	return z
}

// TestDeterminism: the same map seed and the same inputs give the same
// state after T ticks; another seed gives another.
func TestDeterminism(t *testing.T) {
	run := func(seed uint64) uint64 {
		z := testZone(t, seed, 40, 200)
		for i := 0; i < 300; i++ {
			z.Tick()
		}
		return z.StateHash()
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Fatalf("same seed, different state: %x != %x", a, b)
	}
	if a == c {
		t.Fatalf("different seeds, same state %x", a)
	}
}

// TestOverloadKeepsTheSameWorld: a zone whose ticks all overrun their
// budget (dilation 0.4) computes, tick for tick, the same world as one that
// keeps its tick: every tick simulates the same game time, so movement,
// cooldowns, regeneration and respawns slow down alike and replays hold.
func TestOverloadKeepsTheSameWorld(t *testing.T) {
	run := func(work time.Duration) (uint64, float64) {
		clock := ecs.NewManualClock(ecs.Epoch)
		z := testZoneClock(t, 5, 20, 100, clock)
		z.Schedule.Add(ecs.PhaseSimulation, "load", ecs.SystemFunc(func(*ecs.World) { clock.Advance(work) }))
		var st ecs.TickStats
		for i := 0; i < 400; i++ {
			st = z.Tick()
		}
		return z.StateHash(), st.Dilation
	}
	fast, d1 := run(10 * time.Millisecond)
	slow, d2 := run(125 * time.Millisecond)
	if d1 != 1 || d2 != 0.4 {
		t.Fatalf("dilations %v and %v, want 1 and 0.4", d1, d2)
	}
	if fast != slow {
		t.Fatalf("an overloaded zone computed another world: %x != %x", slow, fast)
	}
}

// TestMirrorMatchesZone subscribes one gateway to every cell, applies only
// the encoded bytes the zone publishes to a mirror, as a gateway would, and
// checks the mirror against the zone's truth every tick: every entity
// present, within the quantization error.
func TestMirrorMatchesZone(t *testing.T) {
	z := testZone(t, 7, 30, 150)
	for c := int32(0); c < int32(z.Cells.Len()); c++ {
		if err := z.Publisher.Subscribe(0, c); err != nil {
			t.Fatal(err)
		}
	}
	mirror := spatial.NewMirror()
	var changes spatial.CellChanges
	apply := func(b []byte) {
		if err := codec.ReadCellDelta(b, 1<<20, &changes); err != nil {
			t.Fatal(err)
		}
		if err := mirror.Apply(&changes); err != nil {
			t.Fatal(err)
		}
	}
	pos := generic.NewFilter2[systems.Replica, systems.Position]()
	for tick := 0; tick < 400; tick++ {
		z.Tick()
		out := z.Publisher.Output()
		for _, f := range out.Full {
			apply(f.Bytes)
		}
		for _, c := range out.Cells {
			if c.Gateways&1 != 0 {
				apply(c.Bytes)
			}
		}
		truth := map[uint32][2]float32{}
		q := pos.Query(&z.World.ECS)
		for q.Next() {
			r, p := q.Get()
			truth[r.NetID] = [2]float32{p.X, p.Y}
		}
		if mirror.Len() != len(truth) {
			t.Fatalf("tick %d: mirror has %d entities, zone %d", tick, mirror.Len(), len(truth))
		}
		mirror.Each(func(e *spatial.MirrorEntity, x, y float64) {
			p, ok := truth[e.ID]
			if !ok {
				t.Fatalf("tick %d: mirror has entity %d the zone does not", tick, e.ID)
			}
			if math.Abs(x-float64(p[0])) > 1.0/256 || math.Abs(y-float64(p[1])) > 1.0/256 {
				t.Fatalf("tick %d: entity %d at (%.4f, %.4f) in the mirror, (%.4f, %.4f) in the zone", tick, e.ID, x, y, p[0], p[1])
			}
		})
	}
}

// TestUnchangedCostsNothing: a zone where nothing moves publishes no cell
// delta at all.
func TestUnchangedCostsNothing(t *testing.T) {
	z, err := NewZone(ZoneConfig{Name: "STILL", Seed: 1, Map: MapConfig{Width: 128, Height: 128, Obstacles: -1},
		Rules: systems.Rules{IdleTicks: 1 << 40}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		z.SpawnNPC(float32(10+5*i), 64, 1, 1)
	}
	z.Publisher.Subscribe(0, 0)
	z.Tick() // everything enters
	if len(z.Publisher.Output().Cells) == 0 {
		t.Fatal("the first tick published nothing")
	}
	for i := 0; i < 50; i++ {
		z.Tick()
		if n := len(z.Publisher.Output().Cells); n != 0 {
			t.Fatalf("tick %d: %d cell deltas while nothing changed", z.World.Time.Tick, n)
		}
	}
}

func TestSubscriptionsAreCounted(t *testing.T) {
	z := testZone(t, 3, 0, 10)
	cell := z.Cells.CellOf(128, 128)
	z.Publisher.Subscribe(2, cell)
	z.Publisher.Subscribe(2, cell)
	z.Tick()
	out := z.Publisher.Output()
	if len(out.Full) != 1 || out.Full[0].Gateway != 2 || z.Publisher.Subscribers(cell) != 1<<2 {
		t.Fatalf("full %+v, subscribers %b", out.Full, z.Publisher.Subscribers(cell))
	}
	z.Publisher.Unsubscribe(2, cell)
	if z.Publisher.Subscribers(cell) != 1<<2 || z.Publisher.Watchers(cell) != 1 {
		t.Fatal("one reference left must keep the subscription")
	}
	z.Publisher.Unsubscribe(2, cell)
	if z.Publisher.Subscribers(cell) != 0 {
		t.Fatal("last reference gone, still subscribed")
	}
	if err := z.Publisher.Subscribe(MaxGateways, cell); err == nil {
		t.Fatal("gateway out of range accepted")
	}

	// A gateway that restarts loses all its references at once; the
	// others keep theirs, and it gets whole cells again when it comes back.
	other := z.Cells.CellOf(64, 64)
	z.Publisher.Subscribe(2, cell)
	z.Publisher.Subscribe(2, cell)
	z.Publisher.Subscribe(2, other)
	z.Publisher.Subscribe(5, cell)
	z.Tick()
	z.Publisher.Subscribe(2, other) // not yet published when the gateway goes
	z.Publisher.DropGateway(2)
	if z.Publisher.Subscribers(cell) != 1<<5 || z.Publisher.Watchers(cell) != 1 ||
		z.Publisher.Subscribers(other) != 0 || z.Publisher.Watchers(other) != 0 {
		t.Fatalf("after the drop: cell %b/%d, other %b/%d", z.Publisher.Subscribers(cell), z.Publisher.Watchers(cell),
			z.Publisher.Subscribers(other), z.Publisher.Watchers(other))
	}
	z.Tick()
	if out := z.Publisher.Output(); len(out.Full) != 0 {
		t.Fatalf("a dropped gateway was sent %+v", out.Full)
	}
	z.Publisher.Subscribe(2, cell)
	z.Tick()
	if out := z.Publisher.Output(); len(out.Full) != 1 || out.Full[0].Gateway != 2 || z.Publisher.Subscribers(cell) != 1<<5|1<<2 {
		t.Fatalf("back after the drop: full %+v, subscribers %b", out.Full, z.Publisher.Subscribers(cell))
	}
}

func TestInstanceCap(t *testing.T) {
	tmpl := InstanceTemplate{Name: "CRYPT", Map: MapConfig{Width: 64, Height: 64, Seed: 5}, PlayerCap: 2,
		Spawns: []NPCSpawn{{X: 32, Y: 32, Count: 5, Radius: 20, Template: 9}}, EntryX: 10, EntryY: 10}
	z, err := NewInstance(tmpl, "1", 99, nil)
	if err != nil {
		t.Fatal(err)
	}
	if z.Entities() != 5 {
		t.Fatalf("%d entities, want the 5 NPCs", z.Entities())
	}
	for i := 0; i < 2; i++ {
		x, y, _ := z.RandomWalkable(10, 10, 8)
		if _, err := z.SpawnPlayer(x, y, 0); err != nil {
			t.Fatal(err)
		}
	}
	x, y, _ := z.RandomWalkable(10, 10, 8)
	if _, err := z.SpawnPlayer(x, y, 0); !errors.Is(err, ErrFull) {
		t.Fatalf("third player: %v", err)
	}
	if _, err := NewInstance(InstanceTemplate{Name: "X"}, "1", 1, nil); err == nil {
		t.Fatal("template without cap accepted")
	}
}

func TestLoadMap(t *testing.T) {
	tr, err := LoadMap(strings.NewReader("gridrealm-map 1 2\n..#\n.3.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w, h := tr.Tiles(); w != 3 || h != 2 {
		t.Fatalf("%d × %d tiles", w, h)
	}
	// The first row is the north edge: '#' is tile (2, 1).
	if tr.WalkableTile(2, 1) || !tr.WalkableTile(2, 0) || tr.Cost(1, 0) != 3 {
		t.Fatal("tiles misplaced")
	}
	bad := map[string]string{
		"":                               "missing header",
		"gridrealm-map 2 1\n..":          "header",
		"gridrealm-map 1 zero\n..":       "tile size",
		"gridrealm-map 1 1\n..\n...":     "map line 3: row of 3 tiles",
		"gridrealm-map 1 1\n..\n.x":      "map line 3 column 2",
		"gridrealm-map 1 1\n":            "no rows",
		"gridrealm-map 1 -1\n..":         "tile size",
		"gridrealm-map 1 1\n" + "\x00\n": "not a tile",
	}
	for in, want := range bad {
		if _, err := LoadMap(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// TestMapPortals: portal lines after the rows are read, checked against the
// map, and their mistakes named with the line.
func TestMapPortals(t *testing.T) {
	in := "gridrealm-map 1 2\n....\n....\nportal 0 0 2 4 ZONE-3 40 12\nportal 6 0 8 2 CRYPT 128 128\n"
	_, portals, err := LoadMapFile(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Portal{{X0: 0, Y0: 0, X1: 2, Y1: 4, Zone: "ZONE-3", ArriveX: 40, ArriveY: 12}, {X0: 6, Y0: 0, X1: 8, Y1: 2, Zone: "CRYPT", ArriveX: 128, ArriveY: 128}}
	if !slices.Equal(portals, want) {
		t.Fatalf("portals %+v, want %+v", portals, want)
	}
	if !portals[0].Contains(1, 3) || portals[0].Contains(2, 3) {
		t.Fatal("Contains: the area is [x0, x1) × [y0, y1)")
	}
	head := "gridrealm-map 1 2\n....\n....\n"
	bad := map[string]string{
		head + "portal 0 0 2 4 ZONE-3 40\n":        "map line 4: portal: 6 fields",
		head + "portal 0 0 9 4 ZONE-3 40 12\n":     "not within the map's 8 × 4 m",
		head + "portal 2 0 2 4 ZONE-3 40 12\n":     "is empty",
		head + "portal 0 0 2 4 ZONE/3 40 12\n":     "zone \"ZONE/3\"",
		head + "portal 0 0 2 4 ZONE-3 NaN 12\n":    "not a number",
		head + "portal 0 0 2 4 ZONE-3 -1 12\n":     "outside any map",
		head + "portal 0 0 2 4 ZONE-3 1 1\n....\n": "map line 5: a row of tiles after the portals",
	}
	for in, want := range bad {
		if _, _, err := LoadMapFile(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// FuzzLoadMapFile: a map file of any content loads or gives an error; it
// never panics.
func FuzzLoadMapFile(f *testing.F) {
	f.Add("gridrealm-map 1 2\n....\n....\nportal 0 0 2 4 ZONE-3 40 12\n")
	f.Add("gridrealm-map 1 0.5\n#.3\n")
	f.Fuzz(func(t *testing.T, in string) {
		tr, portals, err := LoadMapFile(strings.NewReader(in))
		if err == nil {
			w, h := tr.Size()
			for _, p := range portals {
				if p.X1 > w || p.Y1 > h {
					t.Fatalf("portal %+v outside the %g × %g map", p, w, h)
				}
			}
		}
	})
}

func TestGeneratedMapIsDeterministic(t *testing.T) {
	a, _ := GenerateMap(MapConfig{Width: 200, Height: 100, Seed: 9, Obstacles: 0.1})
	b, _ := GenerateMap(MapConfig{Width: 200, Height: 100, Seed: 9, Obstacles: 0.1})
	blocked := 0
	for y := int16(0); y < 100; y++ {
		for x := int16(0); x < 200; x++ {
			if a.WalkableTile(x, y) != b.WalkableTile(x, y) {
				t.Fatal("same seed, different maps")
			}
			if !a.WalkableTile(x, y) {
				blocked++
			}
		}
	}
	if share := float64(blocked) / 20000; share < 0.1 || share > 0.12 {
		t.Fatalf("obstacles cover %.3f of the map", share)
	}
}

// TestWorldMap: neighbours come from where zones sit on the world map, and
// its mistakes are named with the line.
func TestWorldMap(t *testing.T) {
	m, err := LoadWorldMap(strings.NewReader("gridrealm-world 1\nA B\nC .\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ id, e, w, n, s string }{{"A", "B", "", "", "C"}, {"B", "", "A", "", ""}, {"C", "", "", "A", ""}} {
		e, w, n, s, ok := m.Neighbours(tc.id)
		if !ok || e != tc.e || w != tc.w || n != tc.n || s != tc.s {
			t.Errorf("%s: east %q west %q north %q south %q, want %+v", tc.id, e, w, n, s, tc)
		}
	}
	if _, _, _, _, ok := m.Neighbours("D"); ok {
		t.Error("D is not on the map")
	}
	for in, want := range map[string]string{
		"":                            "line 1",
		"gridrealm-world 1\nA B\nC\n": "line 3: 1 zones, the first row has 2",
		"gridrealm-world 1\nA A\n":    "appears again",
		"gridrealm-world 1\nA/B\n":    "zone \"A/B\"",
		"gridrealm-world 1\n":         "no rows",
	} {
		if _, err := LoadWorldMap(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// TestZoneConfigBounds: a view radius or a bound on what players are shown
// outside what the gateways and the wire take is refused, naming it.
func TestZoneConfigBounds(t *testing.T) {
	for _, c := range []struct {
		cfg  ZoneConfig
		want string // "" when taken
	}{
		{ZoneConfig{ViewRadius: MaxViewRadius}, ""},
		{ZoneConfig{ViewRadius: MaxViewRadius + 1}, "ViewRadius"},
		{ZoneConfig{ViewRadius: -1}, "ViewRadius"},
		{ZoneConfig{MaxVisible: 100}, ""},
		{ZoneConfig{MaxVisible: -1}, "MaxVisible"},
		{ZoneConfig{MaxVisible: MaxMaxVisible + 1}, "MaxVisible"},
	} {
		c.cfg.Name, c.cfg.Seed, c.cfg.Map = "z", 1, MapConfig{Width: 64, Height: 64}
		_, err := NewZone(c.cfg, nil)
		switch {
		case c.want == "" && err != nil:
			t.Fatalf("%+v: %v", c.cfg, err)
		case c.want != "" && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want)):
			t.Fatalf("ViewRadius %d MaxVisible %d: %v, want an ErrConfig naming %s", c.cfg.ViewRadius, c.cfg.MaxVisible, err, c.want)
		}
	}
}
