package systems

import (
	"math"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
)

// Input turns each player's movement intent into velocity and facing.
// What fills the intent (a gateway, or simulated players) runs before it.
type Input struct {
	filter generic.Filter3[Player, Motion, Position]
}

// NewInput returns the input system for w.
func NewInput(w *ecs.World) *Input {
	s := &Input{filter: *generic.NewFilter3[Player, Motion, Position]()}
	s.filter.Register(&w.ECS)
	return s
}

// Run applies the intents.
func (s *Input) Run(w *ecs.World) {
	rules := ecs.Resource[Rules](w)
	q := s.filter.Query(&w.ECS)
	for q.Next() {
		p, m, _ := q.Get()
		x, y := p.MoveX, p.MoveY
		if l := x*x + y*y; l > 1 {
			inv := 1 / float32(math.Sqrt(float64(l)))
			x, y = x*inv, y*inv
		}
		m.Speed = rules.PlayerSpeed
		m.VX, m.VY = x*rules.PlayerSpeed, y*rules.PlayerSpeed
		m.Heading = p.Heading
	}
}
