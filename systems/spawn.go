package systems

import (
	"slices"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// NetIDs hands out network ids: unique for the life of a zone, never
// reused, so that a gateway can never confuse a new entity with an old one.
type NetIDs struct{ next uint32 }

// Next returns a fresh id.
func (n *NetIDs) Next() uint32 {
	n.next++
	return n.next
}

// Respawn is an NPC waiting to come back.
type Respawn struct {
	At       uint64 // tick
	X, Y     float32
	Template uint16
	Level    uint8
}

// Respawns is the queue of NPCs to bring back, in order of their tick.
type Respawns struct{ queue []Respawn }

// add queues r after every respawn due at or before its tick (templates
// wait different times, so it is not always the last).
func (q *Respawns) add(r Respawn) {
	i := len(q.queue)
	for i > 0 && q.queue[i-1].At > r.At {
		i--
	}
	q.queue = slices.Insert(q.queue, i, r)
}

// Spawner creates entities with every component their kind needs.
type Spawner struct {
	npc    generic.Map7[Position, Motion, Health, Appearance, Replica, Brain, NPCStats]
	player generic.Map7[Position, Motion, Health, Appearance, Replica, Player, ecsNone]
}

// ecsNone fills the unused slot of a map.
type ecsNone struct{}

// NewSpawner returns a spawner for w.
func NewSpawner(w *ecs.World) *Spawner {
	return &Spawner{
		npc:    generic.NewMap7[Position, Motion, Health, Appearance, Replica, Brain, NPCStats](&w.ECS),
		player: generic.NewMap7[Position, Motion, Health, Appearance, Replica, Player, ecsNone](&w.ECS),
	}
}

// Prewarm makes the archetypes an entity of the zone goes through in play
// (an NPC, a player, a bot, each alive and dead), by making one of each and
// removing it: arche builds an archetype (reflection, its tables) the first
// time an entity takes its shape, and a zone should not pay that in the
// tick where its first NPC dies. It takes no network id and draws nothing
// from the world's randomness.
func (s *Spawner) Prewarm(w *ecs.World) {
	dead := generic.NewMap1[Dead](&w.ECS)
	bot := generic.NewMap1[Bot](&w.ECS)
	npc, player, botPlayer := s.npc.New(), s.player.New(), s.player.New()
	bot.Add(botPlayer)
	for _, e := range []ecsEntity{npc, player, botPlayer} {
		dead.Add(e)
	}
	for _, e := range []ecsEntity{npc, player, botPlayer} {
		w.ECS.RemoveEntity(e)
	}
}

// NPC creates an NPC at home (x, y), with the numbers of its template and
// level (the world's Bestiary, else the rules' defaults).
func (s *Spawner) NPC(w *ecs.World, x, y float32, template uint16, level uint8) ecsEntity {
	r := ecs.Resource[Rules](w)
	st, hp := r.Stats(ecs.Resource[Bestiary](w), template, level)
	e := s.npc.NewWith(
		&Position{X: x, Y: y},
		&Motion{Speed: st.Walk},
		&Health{Cur: hp, Max: hp},
		&Appearance{Kind: spatial.KindNPC, Template: template, Level: level},
		&Replica{NetID: ecs.Resource[NetIDs](w).Next(), Cell: spatial.NoCell},
		&Brain{HomeX: x, HomeY: y, GoalX: x, GoalY: y, WaitUntil: w.Time.Tick + w.Rand.Uint64N(r.IdleTicks+1),
			ReadyAt: w.Time.Tick + w.Rand.Uint64N(st.Cooldown)},
		&st,
	)
	return e
}

// Player creates a player character at (x, y), which is also where it
// respawns.
func (s *Spawner) Player(w *ecs.World, x, y float32, template uint16) ecsEntity {
	r := ecs.Resource[Rules](w)
	return s.player.NewWith(
		&Position{X: x, Y: y},
		&Motion{Speed: r.PlayerSpeed},
		&Health{Cur: r.PlayerHealth, Max: r.PlayerHealth},
		&Appearance{Kind: spatial.KindPlayer, Template: template, Level: 1},
		&Replica{NetID: ecs.Resource[NetIDs](w).Next(), Cell: spatial.NoCell},
		// A first cooldown drawn at random keeps a crowd from striking in
		// lockstep.
		&Player{SpawnX: x, SpawnY: y, ReadyAt: w.Time.Tick + w.Rand.Uint64N(r.PlayerCooldown)},
		&ecsNone{},
	)
}

// Despawn handles the dead: an NPC leaves its cell and the world, and is
// queued to respawn at home; a player comes back to life at its spawn
// point with full health.
type Despawn struct {
	filter  generic.Filter4[Dead, Replica, Appearance, Position]
	brain   generic.Map[Brain]
	stats   generic.Map[NPCStats]
	player  generic.Map[Player]
	health  generic.Map[Health]
	dead    generic.Map1[Dead]
	gone    []ecsEntity
	revived []ecsEntity
}

// NewDespawn returns the despawn system for w.
func NewDespawn(w *ecs.World) *Despawn {
	s := &Despawn{
		filter: *generic.NewFilter4[Dead, Replica, Appearance, Position](),
		brain:  generic.NewMap[Brain](&w.ECS), stats: generic.NewMap[NPCStats](&w.ECS), player: generic.NewMap[Player](&w.ECS),
		health: generic.NewMap[Health](&w.ECS), dead: generic.NewMap1[Dead](&w.ECS),
		revived: make([]ecsEntity, 0, 256),
	}
	s.filter.Register(&w.ECS)
	return s
}

// Run removes or revives this tick's dead.
func (s *Despawn) Run(w *ecs.World) {
	cells := ecs.Resource[spatial.Cells](w)
	queue := ecs.Resource[Respawns](w)
	tick := w.Time.Tick
	s.gone, s.revived = s.gone[:0], s.revived[:0]
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		e := q.Entity()
		_, rep, a, p := q.Get()
		if a.Kind != spatial.KindNPC {
			pl := s.player.Get(e)
			p.X, p.Y = pl.SpawnX, pl.SpawnY
			h := s.health.Get(e)
			h.Cur = h.Max
			s.revived = append(s.revived, e)
			continue
		}
		if rep.Cell != spatial.NoCell {
			cells.Leave(rep.Cell, rep.Slot, uint32(tick))
		}
		b := s.brain.Get(e)
		queue.add(Respawn{At: tick + s.stats.Get(e).Respawn, X: b.HomeX, Y: b.HomeY, Template: a.Template, Level: a.Level})
		s.gone = append(s.gone, e)
	}
	for _, e := range s.gone {
		w.ECS.RemoveEntity(e)
	}
	for _, e := range s.revived {
		s.dead.Remove(e)
	}
}

// Respawner brings back the NPCs whose time has come.
type Respawner struct{ spawner *Spawner }

// NewRespawner returns the respawn system for w.
func NewRespawner(s *Spawner) *Respawner { return &Respawner{spawner: s} }

// Run spawns what is due.
func (s *Respawner) Run(w *ecs.World) {
	queue := ecs.Resource[Respawns](w)
	n := 0
	for n < len(queue.queue) && queue.queue[n].At <= w.Time.Tick {
		r := queue.queue[n]
		s.spawner.NPC(w, r.X, r.Y, r.Template, r.Level)
		n++
	}
	if n > 0 {
		queue.queue = append(queue.queue[:0], queue.queue[n:]...)
	}
}
