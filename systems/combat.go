package systems

import (
	"slices"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// Combat resolves attacks: a chasing NPC in range hits its target on its
// cooldown; a player with the attack action hits the nearest NPC in range,
// which turns on it. An entity brought to zero health is marked Dead.
type Combat struct {
	npcs     generic.Filter4[Brain, Position, Appearance, NPCStats]
	players  generic.Filter3[Player, Position, Appearance]
	pos      generic.Map[Position]
	health   generic.Map[Health]
	brain    generic.Map[Brain]
	stats    generic.Map[NPCStats]
	dead     generic.Map[Dead]
	markDead generic.Map1[Dead]
	killed   []ecsEntity
	log      *CombatLog // nil when the world keeps none
}

// Hit is one attack that landed this tick.
type Hit struct {
	Source, Target ecsEntity
	Amount         int32
	Killed         bool // the hit brought the target to zero health
}

// CombatLog is a world resource: this tick's hits, for whoever reports
// them (a zone node tells players the damage they dealt and took).
// Combat empties it at the start of every tick.
type CombatLog struct{ Hits []Hit }

// Appearance.Flags bits set by combat.
const (
	FlagInCombat uint8 = 1 << 0
)

// Appearance.Anim values set by combat.
const (
	AnimIdle   uint8 = 0
	AnimAttack uint8 = 1
)

// NewCombat returns the combat system for w.
func NewCombat(w *ecs.World) *Combat {
	s := &Combat{
		npcs:     *generic.NewFilter4[Brain, Position, Appearance, NPCStats]().Without(generic.T[Dead]()),
		players:  *generic.NewFilter3[Player, Position, Appearance]().Without(generic.T[Dead]()),
		pos:      generic.NewMap[Position](&w.ECS),
		health:   generic.NewMap[Health](&w.ECS),
		brain:    generic.NewMap[Brain](&w.ECS),
		stats:    generic.NewMap[NPCStats](&w.ECS),
		dead:     generic.NewMap[Dead](&w.ECS),
		markDead: generic.NewMap1[Dead](&w.ECS),
		killed:   make([]ecsEntity, 0, 256), // room for a busy tick's deaths, so that a tick does not grow it
	}
	s.npcs.Register(&w.ECS)
	s.players.Register(&w.ECS)
	return s
}

// Run resolves this tick's attacks.
func (s *Combat) Run(w *ecs.World) {
	r := ecs.Resource[Rules](w)
	tick := w.Time.Tick
	s.killed = s.killed[:0]
	s.log = ecs.Resource[CombatLog](w)
	if s.log != nil {
		s.log.Hits = s.log.Hits[:0]
	}

	q := s.npcs.Query(&w.ECS)
	s.roomFor(q.Count())
	for q.Next() {
		b, p, a, st := q.Get()
		a.Anim = AnimIdle
		if b.State != BrainChase {
			a.Flags &^= FlagInCombat
			continue
		}
		a.Flags |= FlagInCombat
		if tick < b.ReadyAt || !w.ECS.Alive(b.Target) || s.dead.Has(b.Target) {
			continue
		}
		t := s.pos.Get(b.Target)
		if dist2(p.X, p.Y, t.X, t.Y) > st.Range*st.Range {
			continue
		}
		b.ReadyAt = tick + st.Cooldown
		a.Anim = AnimAttack
		s.hit(q.Entity(), b.Target, st.Damage, tick)
	}

	prox := ecs.Resource[Proximity](w)
	cells := ecs.Resource[spatial.Cells](w)
	pq := s.players.Query(&w.ECS)
	s.roomFor(pq.Count())
	for pq.Next() {
		pl, p, a := pq.Get()
		a.Anim = AnimIdle
		if pl.Actions&ActionAttack == 0 || tick < pl.ReadyAt {
			continue
		}
		target, ok := prox.NearestWhere(cells, p.X, p.Y, r.PlayerRange, spatial.KindNPC, pq.Entity(), s.hostile)
		if !ok || s.dead.Has(target) {
			pl.ReadyAt = tick + max(1, r.PlayerCooldown/4) // look again a little later
			continue
		}
		pl.ReadyAt = tick + r.PlayerCooldown
		a.Anim = AnimAttack
		if b := s.brain.Get(target); b.State != BrainChase {
			b.State, b.Target = BrainChase, pq.Entity()
			b.dropPath()
		}
		s.hit(pq.Entity(), target, r.PlayerDamage, tick)
	}
	for _, e := range s.killed {
		if !s.dead.Has(e) {
			s.markDead.Add(e)
		}
	}
}

// roomFor makes room in the tick's lists for a hit by each of n more
// fighters (one each at most), so that they grow when the zone holds more
// fighters than before, never with how busy a tick's fighting is.
func (s *Combat) roomFor(n int) {
	s.killed = slices.Grow(s.killed, n)
	if s.log != nil {
		s.log.Hits = slices.Grow(s.log.Hits, n)
	}
}

// hostile reports whether players may attack an NPC (not a peaceful one).
func (s *Combat) hostile(e ecsEntity) bool {
	st := s.stats.Get(e)
	return st == nil || !st.Peaceful
}

func (s *Combat) hit(source, target ecsEntity, damage int32, tick uint64) {
	h := s.health.Get(target)
	if h.Cur <= 0 {
		return
	}
	h.Cur -= damage
	h.LastHit = tick
	killed := h.Cur <= 0
	if s.log != nil {
		s.log.Hits = append(s.log.Hits, Hit{Source: source, Target: target, Amount: damage, Killed: killed})
	}
	if killed {
		h.Cur = 0
		s.killed = append(s.killed, target)
	}
}
