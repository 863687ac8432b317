package systems

import (
	"math/rand/v2"
	"testing"

	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

type testWorld struct {
	w       *ecs.World
	s       *ecs.Schedule
	l       *ecs.Loop
	terrain *spatial.Terrain
	cells   *spatial.Cells
	spawner *Spawner
}

// newTestWorld builds a world of size × size metres of open ground with
// every system of a zone, in a zone's order.
func newTestWorld(t testing.TB, size int, rules Rules) *testWorld {
	t.Helper()
	terrain, err := spatial.NewTerrain(size, size, 1)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := spatial.NewCells(float32(size), float32(size), 32)
	if err != nil {
		t.Fatal(err)
	}
	w := ecs.NewWorld(1)
	r := rules.WithDefaults()
	ecs.AddResource(w, &r)
	ecs.AddResource(w, terrain)
	ecs.AddResource(w, cells)
	ecs.AddResource(w, NewProximity(cells.Len()))
	ecs.AddResource(w, &NetIDs{})
	ecs.AddResource(w, &Respawns{})
	tw := &testWorld{w: w, terrain: terrain, cells: cells, spawner: NewSpawner(w)}
	s := ecs.NewSchedule(nil)
	s.Add(ecs.PhaseInput, "bots", NewBots(w))
	s.Add(ecs.PhaseInput, "input", NewInput(w))
	s.Add(ecs.PhaseSimulation, "ai", NewAI(w))
	s.Add(ecs.PhaseSimulation, "movement", NewMovement(w))
	s.Add(ecs.PhaseSimulation, "combat", NewCombat(w))
	s.Add(ecs.PhaseSimulation, "regen", NewRegen(w))
	s.Add(ecs.PhaseSpatial, "despawn", NewDespawn(w))
	s.Add(ecs.PhaseSpatial, "respawn", NewRespawner(tw.spawner))
	s.Add(ecs.PhaseSpatial, "interest", NewInterest(w))
	s.Add(ecs.PhaseSpatial, "proximity", NewIndexProximity(w))
	s.Add(ecs.PhaseReplication, "replication", NewReplication(w))
	s.Add(ecs.PhasePublish, "clear", ecs.SystemFunc(func(*ecs.World) { cells.ClearChanges() }))
	tw.s, tw.l = s, ecs.NewLoop(ecs.LoopConfig{}, nil, w, s)
	return tw
}

func (tw *testWorld) ticks(n int) {
	for i := 0; i < n; i++ {
		tw.l.Step()
	}
}

func (tw *testWorld) pos(e arche.Entity) *Position { return get[Position](tw, e) }

// get returns a component of an entity.
func get[T any](tw *testWorld, e arche.Entity) *T {
	m := generic.NewMap[T](&tw.w.ECS)
	return m.Get(e)
}

// TestNothingEntersABlockedTile drives players in random directions across
// a field of random obstacles: no one ever stands on a blocked tile.
func TestNothingEntersABlockedTile(t *testing.T) {
	tw := newTestWorld(t, 64, Rules{PlayerSpeed: 40}) // fast: big steps test the check hardest
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 600; i++ {
		tw.terrain.SetTile(int16(rng.IntN(64)), int16(rng.IntN(64)), true, 1)
	}
	var players []arche.Entity
	for len(players) < 50 {
		x, y := rng.Float32()*64, rng.Float32()*64
		if tw.terrain.Walkable(x, y) {
			players = append(players, tw.spawner.Player(tw.w, x, y, 0))
		}
	}
	inputs := generic.NewMap[Player](&tw.w.ECS)
	for tick := 0; tick < 400; tick++ {
		for _, e := range players {
			p := inputs.Get(e)
			if tick%10 == 0 {
				p.MoveX, p.MoveY = rng.Float32()*2-1, rng.Float32()*2-1
			}
		}
		tw.ticks(1)
		for _, e := range players {
			if p := tw.pos(e); !tw.terrain.Walkable(p.X, p.Y) {
				t.Fatalf("tick %d: player on blocked ground at (%.2f, %.2f)", tick, p.X, p.Y)
			}
		}
	}
}

// TestAggroChaseLeashReturn: an NPC chases a player who comes close, gives
// up past its leash, walks home and heals.
func TestAggroChaseLeashReturn(t *testing.T) {
	tw := newTestWorld(t, 200, Rules{})
	npc := tw.spawner.NPC(tw.w, 50, 50, 1, 1)
	player := tw.spawner.Player(tw.w, 56, 50, 0)
	brains := generic.NewMap[Brain](&tw.w.ECS)
	tw.ticks(12) // at least one decision
	if b := brains.Get(npc); b.State != BrainChase || b.Target != player {
		t.Fatalf("NPC state %d, target %v", b.State, b.Target)
	}
	// The player runs east, out of the leash.
	get[Player](tw, player).MoveX = 1
	get[Health](tw, npc).Cur = 10
	for i := 0; i < 400 && brains.Get(npc).State == BrainChase; i++ {
		tw.ticks(1)
	}
	if brains.Get(npc).State != BrainReturn {
		t.Fatalf("NPC did not give up: state %d at %v", brains.Get(npc).State, *tw.pos(npc))
	}
	get[Player](tw, player).MoveX = 0
	for i := 0; i < 800 && brains.Get(npc).State == BrainReturn; i++ {
		tw.ticks(1)
	}
	h := get[Health](tw, npc)
	if p := tw.pos(npc); dist2(p.X, p.Y, 50, 50) > 1 || h.Cur != h.Max {
		t.Fatalf("NPC back at (%.1f, %.1f) with %d/%d health", p.X, p.Y, h.Cur, h.Max)
	}
}

// TestChaseFindsAWayAroundAWall: the straight line is blocked, the NPC
// takes an A* path and reaches the player.
func TestChaseFindsAWayAroundAWall(t *testing.T) {
	tw := newTestWorld(t, 100, Rules{AggroRadius: 30, LeashRadius: 80})
	for y := int16(20); y < 80; y++ {
		tw.terrain.SetTile(50, y, true, 1)
	}
	npc := tw.spawner.NPC(tw.w, 45, 50, 1, 1)
	tw.spawner.Player(tw.w, 56, 50, 0)
	for i := 0; i < 600; i++ {
		tw.ticks(1)
		if p := tw.pos(npc); p.X > 50 && dist2(p.X, p.Y, 56, 50) < 9 {
			return
		}
	}
	t.Fatalf("NPC stuck at %v", *tw.pos(npc))
}

// TestLongWayHomeInStages: the way home goes around a long wall, three
// times longer than the path an NPC holds (PathSteps); the NPC walks it
// in stages and gets home.
func TestLongWayHomeInStages(t *testing.T) {
	tw := newTestWorld(t, 100, Rules{})
	for y := int16(12); y < 100; y++ { // open only in the north
		tw.terrain.SetTile(50, y, true, 1)
	}
	npc := tw.spawner.NPC(tw.w, 55.5, 50.5, 1, 1)
	tw.ticks(1)
	b, p := get[Brain](tw, npc), tw.pos(npc)
	p.X = 45.5 // behind the wall, as if a chase had ended there
	b.State, b.GoalX, b.GoalY = BrainReturn, b.HomeX, b.HomeY
	b.dropPath()
	searches, cut := 0, 0
	for i := 0; i < 2000 && b.State == BrainReturn; i++ {
		tick := b.PathTick
		tw.ticks(1)
		if b = get[Brain](tw, npc); b.PathTick != tick {
			searches++
			if b.PathCut {
				cut++
			}
		}
	}
	if p := tw.pos(npc); b.State != BrainIdle || dist2(p.X, p.Y, 55.5, 50.5) > 1 {
		t.Fatalf("NPC at (%.1f, %.1f) in state %d after %d searches", p.X, p.Y, b.State, searches)
	}
	if cut == 0 || searches < 2 {
		t.Fatalf("%d searches, %d cut: the way home was not walked in stages", searches, cut)
	}
}

// TestDeathDespawnRespawn: a player kills an NPC; it leaves its cell, and
// comes back home after NPCRespawn ticks with a new network id.
func TestDeathDespawnRespawn(t *testing.T) {
	tw := newTestWorld(t, 100, Rules{PlayerDamage: 1000, NPCRespawn: 40})
	npc := tw.spawner.NPC(tw.w, 50, 50, 3, 1)
	oldID := get[Replica](tw, npc).NetID
	player := tw.spawner.Player(tw.w, 51, 50, 0)
	get[Player](tw, player).Actions = ActionAttack
	for i := 0; i < 100 && tw.w.ECS.Alive(npc); i++ {
		tw.ticks(1)
	}
	if tw.w.ECS.Alive(npc) {
		t.Fatal("NPC survived")
	}
	get[Player](tw, player).Actions = 0 // or the respawned NPC dies at once
	died := tw.w.Time.Tick
	npcs := generic.NewFilter2[Brain, Replica]()
	count := func() (n int, id uint32) {
		q := npcs.Query(&tw.w.ECS)
		for q.Next() {
			_, r := q.Get()
			n, id = n+1, r.NetID
		}
		return
	}
	for tw.w.Time.Tick < died+35 {
		tw.ticks(1)
	}
	if n, _ := count(); n != 0 {
		t.Fatalf("NPC back after %d ticks, respawn is 40", tw.w.Time.Tick-died)
	}
	tw.ticks(10)
	if n, id := count(); n != 1 || id == oldID {
		t.Fatalf("after respawn: %d NPCs, id %d (old %d)", n, id, oldID)
	}
}

func TestRegenWaitsAfterAHit(t *testing.T) {
	tw := newTestWorld(t, 64, Rules{})
	e := tw.spawner.NPC(tw.w, 30, 30, 1, 1)
	h := get[Health](tw, e)
	tw.ticks(1)
	h.Cur, h.LastHit = 10, tw.w.Time.Tick
	tw.ticks(90)
	if h.Cur != 10 {
		t.Fatalf("healed during the delay: %d", h.Cur)
	}
	tw.ticks(100)
	if h.Cur <= 10 {
		t.Fatal("never healed")
	}
}
