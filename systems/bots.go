package systems

import (
	"math"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// Bot drives a simulated player: it walks to random points inside its
// roaming circle and attacks whatever comes in range. Headless zones and
// benchmarks use bots in place of real players.
type Bot struct {
	AreaX, AreaY, AreaR float32 // roaming circle
	GoalX, GoalY        float32
	NextGoal            uint64 // tick to pick a new goal anyway
}

// Bots sets every bot's input for this tick; it runs in the input phase,
// before Input.
type Bots struct {
	filter generic.Filter3[Bot, Player, Position]
}

// NewBots returns the bot system for w.
func NewBots(w *ecs.World) *Bots {
	s := &Bots{filter: *generic.NewFilter3[Bot, Player, Position]()}
	s.filter.Register(&w.ECS)
	return s
}

// Run sets the inputs.
func (s *Bots) Run(w *ecs.World) {
	terrain := ecs.Resource[spatial.Terrain](w)
	tick := w.Time.Tick
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		b, pl, p := q.Get()
		dx, dy := b.GoalX-p.X, b.GoalY-p.Y
		if tick >= b.NextGoal || dx*dx+dy*dy < 1 {
			s.pickGoal(w, terrain, b, p)
			dx, dy = b.GoalX-p.X, b.GoalY-p.Y
		}
		d := float32(math.Sqrt(float64(dx*dx + dy*dy)))
		if d > 0 {
			pl.MoveX, pl.MoveY = dx/d, dy/d
			pl.Heading = HeadingOf(dx, dy)
		}
		pl.Actions = ActionAttack
	}
}

func (s *Bots) pickGoal(w *ecs.World, t *spatial.Terrain, b *Bot, p *Position) {
	b.NextGoal = w.Time.Tick + 100 + w.Rand.Uint64N(200)
	for try := 0; try < 4; try++ {
		a := w.Rand.Float64() * 2 * math.Pi
		r := math.Sqrt(w.Rand.Float64()) * float64(b.AreaR)
		gx, gy := b.AreaX+float32(math.Cos(a)*r), b.AreaY+float32(math.Sin(a)*r)
		if t.Walkable(gx, gy) {
			b.GoalX, b.GoalY = gx, gy
			return
		}
	}
	b.GoalX, b.GoalY = p.X, p.Y
}
