package world

import (
	"fmt"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/systems"
)

// NPCSpawn places NPCs in an instance template.
type NPCSpawn struct {
	X, Y     float32
	Template uint16
	Level    uint8
	// Count NPCs are placed within Radius metres of (X, Y) (default 1 NPC
	// at the point).
	Count  int
	Radius float32
}

// InstanceTemplate is what every copy of an instance (a dungeon, an arena)
// starts from.
type InstanceTemplate struct {
	Name string
	// Terrain is shared by every copy (read only); nil generates Map.
	Terrain *spatial.Terrain
	Map     MapConfig
	Spawns  []NPCSpawn
	// PlayerCap is how many players one copy admits (required).
	PlayerCap int
	// Entry is where players appear.
	EntryX, EntryY float32
	// Rules and Bestiary are the copy's gameplay numbers (content's).
	Rules    systems.Rules
	Bestiary systems.Bestiary
}

// NewInstance makes a copy of a template: a zone with the template's NPCs
// and player cap. seed makes each copy's randomness its own; clock drives
// its ticks (the real clock when nil).
func NewInstance(t InstanceTemplate, id string, seed uint64, clock ecs.Clock) (*Zone, error) {
	if t.PlayerCap <= 0 {
		return nil, fmt.Errorf("instance template %s: PlayerCap must be positive", t.Name)
	}
	z, err := NewZone(ZoneConfig{Name: t.Name + "/" + id, Seed: seed, Terrain: t.Terrain, Map: t.Map, PlayerCap: t.PlayerCap,
		Rules: t.Rules, Bestiary: t.Bestiary}, clock)
	if err != nil {
		return nil, err
	}
	for i, s := range t.Spawns {
		n := max(s.Count, 1)
		for k := 0; k < n; k++ {
			x, y := s.X, s.Y
			if s.Radius > 0 {
				var ok bool
				if x, y, ok = z.RandomWalkable(s.X, s.Y, s.Radius); !ok {
					return nil, fmt.Errorf("instance template %s: spawn %d: no walkable point within %.0f m of (%.0f, %.0f)", t.Name, i, s.Radius, s.X, s.Y)
				}
			}
			if _, err := z.SpawnNPC(x, y, s.Template, s.Level); err != nil {
				return nil, fmt.Errorf("instance template %s: spawn %d: %w", t.Name, i, err)
			}
		}
	}
	return z, nil
}
