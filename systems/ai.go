package systems

import (
	"math"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// AI runs the NPC brains: wander around home, aggro on the nearest player
// in range, chase (along an A* path when the straight line is blocked,
// recomputed sparingly), give up past the leash and walk home healed.
// Decisions are taken every ThinkEvery ticks, staggered over the NPCs;
// steering runs every tick.
type AI struct {
	// pf searches paths within a window around the NPC (the leash and the
	// aggro radius, and a margin): without allocating, and never flooding
	// the map for a goal it cannot reach.
	pf     *spatial.Pathfinder
	filter generic.Filter5[Brain, Position, Motion, Health, NPCStats]
	pos    generic.Map[Position]
	health generic.Map[Health]
	dead   generic.Map[Dead]
}

// NewAI returns the AI system for w.
func NewAI(w *ecs.World) *AI {
	s := &AI{
		filter: *generic.NewFilter5[Brain, Position, Motion, Health, NPCStats]().Without(generic.T[Dead]()),
		pos:    generic.NewMap[Position](&w.ECS),
		health: generic.NewMap[Health](&w.ECS),
		dead:   generic.NewMap[Dead](&w.ECS),
	}
	s.filter.Register(&w.ECS)
	return s
}

type aiContext struct {
	w         *ecs.World
	rules     *Rules
	terrain   *spatial.Terrain
	cells     *spatial.Cells
	prox      *Proximity
	pathsLeft int
}

// Run updates every NPC.
func (s *AI) Run(w *ecs.World) {
	c := aiContext{w: w, rules: ecs.Resource[Rules](w), terrain: ecs.Resource[spatial.Terrain](w),
		cells: ecs.Resource[spatial.Cells](w), prox: ecs.Resource[Proximity](w)}
	c.pathsLeft = c.rules.PathsPerTick
	if s.pf == nil || s.pf.Terrain() != c.terrain {
		radius := (c.rules.LeashRadius+c.rules.AggroRadius)/c.terrain.TileSize() + 8
		s.pf = spatial.NewPathfinder(c.terrain, int16(min(radius, 256)))
	}
	tick := w.Time.Tick
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		e := q.Entity()
		b, p, m, h, st := q.Get()
		think := (tick+uint64(e.ID()))%c.rules.ThinkEvery == 0
		switch b.State {
		case BrainIdle:
			m.VX, m.VY = 0, 0
			if think && !s.aggro(&c, e, b, p, st) && tick >= b.WaitUntil {
				s.wander(&c, b, p, st)
			}
		case BrainWander:
			if think && s.aggro(&c, e, b, p, st) {
				break
			}
			if s.steer(&c, b, p, m, st.Walk) {
				b.State = BrainIdle
				b.dropPath()
				b.WaitUntil = tick + 1 + c.w.Rand.Uint64N(c.rules.IdleTicks)
				m.VX, m.VY = 0, 0
			}
		case BrainChase:
			s.chase(&c, b, p, m, st, think)
		case BrainReturn:
			if think && b.pathWalked() && tick >= b.PathTick+c.rules.PathEvery && c.pathsLeft > 0 &&
				!c.terrain.LineClear(p.X, p.Y, b.HomeX, b.HomeY) {
				// Walked the first steps of a long way home, or set off when
				// the tick had no search left.
				c.pathsLeft--
				s.findPath(&c, b, p)
			}
			if s.steer(&c, b, p, m, st.Walk) {
				b.State = BrainIdle
				b.dropPath()
				b.WaitUntil = tick + 1 + c.w.Rand.Uint64N(c.rules.IdleTicks)
				m.VX, m.VY = 0, 0
				h.Cur = h.Max
			}
		}
	}
}

// aggro starts a chase of the nearest player in range.
func (s *AI) aggro(c *aiContext, self ecsEntity, b *Brain, p *Position, st *NPCStats) bool {
	if st.Peaceful {
		return false
	}
	target, ok := c.prox.Nearest(c.cells, p.X, p.Y, st.Aggro, spatial.KindPlayer, self)
	if !ok {
		return false
	}
	b.State, b.Target = BrainChase, target
	b.dropPath()
	return true
}

func (s *AI) wander(c *aiContext, b *Brain, p *Position, st *NPCStats) {
	for try := 0; try < 4; try++ {
		a := c.w.Rand.Float64() * 2 * math.Pi
		r := c.w.Rand.Float64() * float64(st.Wander)
		gx, gy := b.HomeX+float32(math.Cos(a)*r), b.HomeY+float32(math.Sin(a)*r)
		if c.terrain.Walkable(gx, gy) && c.terrain.LineClear(p.X, p.Y, gx, gy) {
			b.State, b.GoalX, b.GoalY = BrainWander, gx, gy
			b.dropPath()
			return
		}
	}
}

func (s *AI) chase(c *aiContext, b *Brain, p *Position, m *Motion, st *NPCStats, think bool) {
	r := c.rules
	if !c.w.ECS.Alive(b.Target) || s.dead.Has(b.Target) || dist2(p.X, p.Y, b.HomeX, b.HomeY) > st.Leash*st.Leash {
		s.goHome(c, b, p)
		return
	}
	t := s.pos.Get(b.Target)
	b.GoalX, b.GoalY = t.X, t.Y
	if dist2(p.X, p.Y, t.X, t.Y) <= (st.Range*0.8)*(st.Range*0.8) {
		m.VX, m.VY = 0, 0
		m.Heading = HeadingOf(t.X-p.X, t.Y-p.Y)
		return
	}
	if think {
		switch {
		case c.terrain.LineClear(p.X, p.Y, t.X, t.Y):
			b.dropPath()
		case (b.pathWalked() || c.w.Time.Tick >= b.PathTick+r.PathEvery) && c.pathsLeft > 0:
			c.pathsLeft--
			s.findPath(c, b, p)
		}
	}
	s.steer(c, b, p, m, st.Run)
}

func (s *AI) goHome(c *aiContext, b *Brain, p *Position) {
	b.State, b.Target, b.GoalX, b.GoalY = BrainReturn, ecsEntity{}, b.HomeX, b.HomeY
	b.dropPath()
	if !c.terrain.LineClear(p.X, p.Y, b.HomeX, b.HomeY) && c.pathsLeft > 0 {
		c.pathsLeft--
		s.findPath(c, b, p)
	}
}

func (s *AI) findPath(c *aiContext, b *Brain, p *Position) {
	b.PathTick = c.w.Time.Tick
	steps, whole, ok := s.pf.Prefix(b.Path[:0], p.X, p.Y, b.GoalX, b.GoalY) // into the NPC's own buffer
	b.dropPath()
	if ok {
		b.PathLen, b.PathCut = uint8(len(steps)), !whole
	}
}

// steer sets the velocity towards the next waypoint (or the goal) and
// reports whether the goal is reached.
func (s *AI) steer(c *aiContext, b *Brain, p *Position, m *Motion, speed float32) bool {
	tx, ty := b.GoalX, b.GoalY
	for path := b.path(); int(b.PathAt) < len(path); {
		wp := path[b.PathAt]
		wx, wy := c.terrain.Center(wp.X, wp.Y)
		if dist2(p.X, p.Y, wx, wy) > 0.25 {
			tx, ty = wx, wy
			break
		}
		b.PathAt++
	}
	dx, dy := tx-p.X, ty-p.Y
	d := float32(math.Sqrt(float64(dx*dx + dy*dy)))
	step := speed * c.w.Time.Dt
	if d <= max(step, 0.1) && b.pathWalked() {
		if d > 0 {
			p2 := *p
			if Step(c.terrain, &p2, dx, dy) {
				*p = p2
			}
		}
		return true
	}
	if d == 0 {
		return false
	}
	m.Speed = speed
	m.VX, m.VY = dx/d*speed, dy/d*speed
	m.Heading = HeadingOf(dx, dy)
	return false
}

func dist2(ax, ay, bx, by float32) float32 {
	dx, dy := ax-bx, ay-by
	return dx*dx + dy*dy
}
