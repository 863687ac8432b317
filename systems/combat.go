package systems

import (
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// Combat resolves attacks: a chasing NPC in range hits its target on its
// cooldown; a player with the attack action hits the nearest NPC in range,
// which turns on it. An entity brought to zero health is marked Dead.
type Combat struct {
	npcs     generic.Filter3[Brain, Position, Appearance]
	players  generic.Filter3[Player, Position, Appearance]
	pos      generic.Map[Position]
	health   generic.Map[Health]
	brain    generic.Map[Brain]
	dead     generic.Map[Dead]
	markDead generic.Map1[Dead]
	killed   []ecsEntity
}

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
		npcs:     *generic.NewFilter3[Brain, Position, Appearance]().Without(generic.T[Dead]()),
		players:  *generic.NewFilter3[Player, Position, Appearance]().Without(generic.T[Dead]()),
		pos:      generic.NewMap[Position](&w.ECS),
		health:   generic.NewMap[Health](&w.ECS),
		brain:    generic.NewMap[Brain](&w.ECS),
		dead:     generic.NewMap[Dead](&w.ECS),
		markDead: generic.NewMap1[Dead](&w.ECS),
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

	q := s.npcs.Query(&w.ECS)
	for q.Next() {
		b, p, a := q.Get()
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
		if dist2(p.X, p.Y, t.X, t.Y) > r.NPCRange*r.NPCRange {
			continue
		}
		b.ReadyAt = tick + r.NPCCooldown
		a.Anim = AnimAttack
		s.hit(b.Target, r.NPCDamage, tick)
	}

	prox := ecs.Resource[Proximity](w)
	cells := ecs.Resource[spatial.Cells](w)
	pq := s.players.Query(&w.ECS)
	for pq.Next() {
		pl, p, a := pq.Get()
		a.Anim = AnimIdle
		if pl.Actions&ActionAttack == 0 || tick < pl.ReadyAt {
			continue
		}
		target, ok := prox.Nearest(cells, p.X, p.Y, r.PlayerRange, spatial.KindNPC, pq.Entity())
		if !ok || s.dead.Has(target) {
			pl.ReadyAt = tick + max(1, r.PlayerCooldown/4) // look again a little later
			continue
		}
		pl.ReadyAt = tick + r.PlayerCooldown
		a.Anim = AnimAttack
		if b := s.brain.Get(target); b.State != BrainChase {
			b.State, b.Target, b.Path = BrainChase, pq.Entity(), nil
		}
		s.hit(target, r.PlayerDamage, tick)
	}
	for _, e := range s.killed {
		if !s.dead.Has(e) {
			s.markDead.Add(e)
		}
	}
}

func (s *Combat) hit(target ecsEntity, damage int32, tick uint64) {
	h := s.health.Get(target)
	if h.Cur <= 0 {
		return
	}
	h.Cur -= damage
	h.LastHit = tick
	if h.Cur <= 0 {
		h.Cur = 0
		s.killed = append(s.killed, target)
	}
}
