package content

import (
	"fmt"

	"github.com/gridrealm/gridrealm/world"
)

// Scope is what of a content set one zone runs: its areas and scripted
// systems (an open zone's or an instance template's).
type Scope struct {
	Areas   []AreaDef
	Systems []SystemDef
}

// ZoneScope returns the scope of an open zone or instance template by name
// (empty when the set has neither).
func (s *Set) ZoneScope(name string) Scope {
	if z := s.Zones[name]; z != nil {
		return Scope{Areas: z.Areas, Systems: z.Systems}
	}
	if in := s.Instances[name]; in != nil {
		return Scope{Areas: in.Areas, Systems: in.Systems}
	}
	return Scope{}
}

// ZoneConfig fills cfg with the open zone's rules, templates and map (a
// generated map takes cfg.Seed).
func (s *Set) ZoneConfig(name string, cfg *world.ZoneConfig) error {
	z := s.Zones[name]
	if z == nil {
		return fmt.Errorf("content %s: no zone %q (the zones: %v)", s.Dir, name, sortedKeys(s.Zones))
	}
	cfg.Rules, cfg.Bestiary = s.Rules, s.Bestiary
	if z.Ground.Terrain != nil {
		cfg.Terrain = z.Ground.Terrain
	} else {
		cfg.Terrain, cfg.Map = nil, z.Ground.Map
	}
	return nil
}

// Populate spawns an open zone's NPCs: npcs spread over the map (the
// content's count when negative) and its camps. A camp it cannot place is
// left out and reported in a *SkippedError.
func (s *Set) Populate(z *world.Zone, name string, npcs int) error {
	d := s.Zones[name]
	if d == nil {
		return fmt.Errorf("content %s: no zone %q", s.Dir, name)
	}
	if npcs < 0 {
		npcs = d.SpreadCount
	}
	w, h := z.Terrain.Size()
	if len(d.SpreadNPCs) > 0 {
		for i := 0; i < npcs; i++ {
			n := d.SpreadNPCs[i%len(d.SpreadNPCs)]
			level := n.Level
			if lo, hi := d.SpreadLevel[0], d.SpreadLevel[1]; lo > 0 {
				level = lo + uint8(i%(int(hi-lo)+1))
			}
			if x, y, ok := z.RandomWalkable(w/2, h/2, min(w, h)/2-1); ok {
				z.SpawnNPC(x, y, n.ID, level)
			}
		}
	}
	var skipped []error
	for i, c := range d.Camps {
		if c.X >= w || c.Y >= h {
			// The zone runs another map than the content's (a node's --map
			// or --size): a camp off it is left out, and said so.
			skipped = append(skipped, fmt.Errorf("zones.%s.camps[%d]: (%g, %g) is not on this zone's map", name, i, c.X, c.Y))
			continue
		}
		if err := place(z, c); err != nil {
			skipped = append(skipped, fmt.Errorf("zones.%s.camps[%d]: %w", name, i, err))
		}
	}
	if len(skipped) > 0 {
		return &SkippedError{Skipped: skipped}
	}
	return nil
}

// SkippedError lists the camps Populate left out; the rest of the zone is
// populated.
type SkippedError struct{ Skipped []error }

func (e *SkippedError) Error() string {
	return fmt.Sprintf("%d camps left out, the first: %v", len(e.Skipped), e.Skipped[0])
}

func place(z *world.Zone, c Placement) error {
	for k := 0; k < c.Count; k++ {
		x, y := c.X, c.Y
		if c.Radius > 0 {
			var ok bool
			if x, y, ok = z.RandomWalkable(c.X, c.Y, c.Radius); !ok {
				return fmt.Errorf("no walkable point within %.0f m of (%.0f, %.0f)", c.Radius, c.X, c.Y)
			}
		}
		if _, err := z.SpawnNPC(x, y, c.NPC.ID, c.Level); err != nil {
			return err
		}
	}
	return nil
}

// InstanceTemplate returns an instance template of the content.
func (s *Set) InstanceTemplate(name string) (*world.InstanceTemplate, error) {
	d := s.Instances[name]
	if d == nil {
		return nil, fmt.Errorf("content %s: no instance %q (the instances: %v)", s.Dir, name, sortedKeys(s.Instances))
	}
	t := &world.InstanceTemplate{Name: name, Terrain: d.Ground.Terrain, Map: d.Ground.Map, PlayerCap: d.PlayerCap,
		EntryX: d.EntryX, EntryY: d.EntryY, Rules: s.Rules, Bestiary: s.Bestiary}
	for _, c := range d.Camps {
		t.Spawns = append(t.Spawns, world.NPCSpawn{X: c.X, Y: c.Y, Template: c.NPC.ID, Level: c.Level, Count: c.Count, Radius: c.Radius})
	}
	return t, nil
}

// Portals returns the portals of a zone's map file (none for a generated
// map).
func (s *Set) Portals(name string) []world.Portal {
	if z := s.Zones[name]; z != nil {
		return z.Ground.Portals
	}
	return nil
}
