package script

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/content"
)

// MemoryHost keeps players' items in memory and writes what happens to a
// log: the host of a headless zone (realm play, benchmarks, tests).
type MemoryHost struct {
	// Log receives one line per event (nil: none).
	Log   func(string)
	Zone  *world.Zone
	Names map[arche.Entity]string
	// Items are each player's items: template id → count.
	Items   map[arche.Entity]map[uint32]int
	Granted map[uint32]int // every grant, by template
	Told    []string       // every message, "name: text"
}

// NewMemoryHost returns an empty host logging to log.
func NewMemoryHost(z *world.Zone, log func(string)) *MemoryHost {
	if log == nil {
		log = func(string) {}
	}
	return &MemoryHost{Log: log, Zone: z, Names: map[arche.Entity]string{}, Items: map[arche.Entity]map[uint32]int{}, Granted: map[uint32]int{}}
}

func (h *MemoryHost) tick() uint64 { return h.Zone.World.Time.Tick }

// Give implements Host.
func (h *MemoryHost) Give(p arche.Entity, it *content.ItemDef, n uint32) {
	if h.Items[p] == nil {
		h.Items[p] = map[uint32]int{}
	}
	h.Items[p][it.ID] += int(n)
	h.Granted[it.ID] += int(n)
	h.Log(fmt.Sprintf("tick %d: %s gets %d × %s", h.tick(), h.Name(p), n, it.Name))
}

// Take implements Host.
func (h *MemoryHost) Take(p arche.Entity, it *content.ItemDef, n uint32) bool {
	if h.Items[p][it.ID] < int(n) {
		return false
	}
	h.Items[p][it.ID] -= int(n)
	h.Log(fmt.Sprintf("tick %d: %s loses %d × %s", h.tick(), h.Name(p), n, it.Name))
	return true
}

// Count implements Host.
func (h *MemoryHost) Count(p arche.Entity, it *content.ItemDef) int { return h.Items[p][it.ID] }

// Consume implements Host: the item id is its template's here.
func (h *MemoryHost) Consume(p arche.Entity, item uint64) {
	if h.Items[p][uint32(item)] > 0 {
		h.Items[p][uint32(item)]--
	}
	h.Log(fmt.Sprintf("tick %d: %s used up an item %d", h.tick(), h.Name(p), item))
}

// Tell implements Host.
func (h *MemoryHost) Tell(p arche.Entity, text string) {
	h.Told = append(h.Told, h.Name(p)+": "+text)
	h.Log(fmt.Sprintf("tick %d: to %s: %s", h.tick(), h.Name(p), text))
}

// Announce implements Host.
func (h *MemoryHost) Announce(text string) {
	h.Told = append(h.Told, "*: "+text)
	h.Log(fmt.Sprintf("tick %d: to all: %s", h.tick(), text))
}

// Name implements Host.
func (h *MemoryHost) Name(p arche.Entity) string { return h.Names[p] }

// PlayConfig configures a headless zone.
type PlayConfig struct {
	Content *content.Set
	// Zone is an open zone or an instance template of the content
	// (default "open").
	Zone string
	Seed uint64
	// Bots roam and fight within BotRadius of the entry (instances) or the
	// map's centre; NPCs overrides an open zone's spread count (< 0: the
	// content's).
	Bots      int
	BotRadius float32
	// BotX, BotY centre the bots' roaming circle elsewhere (0: the entry
	// or the centre).
	BotX, BotY float32
	NPCs       int
	// Log receives the readable log (nil: none); Deaths adds a line per
	// death.
	Log    func(string)
	Deaths bool
}

// Play is a zone run headless with its content's scripts and simulated
// players.
type Play struct {
	Zone    *world.Zone
	Engine  *Engine
	Host    *MemoryHost
	Bots    []arche.Entity
	log     func(string)
	app     generic.Map[systems.Appearance]
	netIDs  uint32 // the highest network id seen: newer ones spawned since
	spawned *generic.Filter2[systems.Appearance, systems.Replica]
}

// NewPlay builds the zone, spawns its NPCs and bots, and attaches the
// scripts.
func NewPlay(cfg PlayConfig) (*Play, error) {
	if cfg.Zone == "" {
		cfg.Zone = "open"
	}
	if cfg.Log == nil {
		cfg.Log = func(string) {}
	}
	set := cfg.Content
	var z *world.Zone
	var err error
	cx, cy := float32(0), float32(0)
	switch {
	case set.Zones[cfg.Zone] != nil:
		zc := world.ZoneConfig{Name: cfg.Zone, Seed: cfg.Seed}
		if err = set.ZoneConfig(cfg.Zone, &zc); err != nil {
			return nil, err
		}
		if z, err = world.NewZone(zc, nil); err != nil {
			return nil, err
		}
		if err = set.Populate(z, cfg.Zone, cfg.NPCs); err != nil {
			return nil, err
		}
		w, h := z.Terrain.Size()
		cx, cy = w/2, h/2
	case set.Instances[cfg.Zone] != nil:
		t, _ := set.InstanceTemplate(cfg.Zone)
		if z, err = world.NewInstance(*t, "play", cfg.Seed, nil); err != nil {
			return nil, err
		}
		cx, cy = t.EntryX, t.EntryY
	default:
		return nil, fmt.Errorf("content %s: no zone or instance %q", set.Dir, cfg.Zone)
	}
	p := &Play{Zone: z, log: cfg.Log, app: generic.NewMap[systems.Appearance](&z.World.ECS)}
	p.Host = NewMemoryHost(z, cfg.Log)
	if p.Engine, err = New(z, set, cfg.Zone, p.Host, cfg.Log, nil); err != nil {
		return nil, err
	}
	if cfg.BotX > 0 || cfg.BotY > 0 {
		cx, cy = cfg.BotX, cfg.BotY
	}
	r := cfg.BotRadius
	if r <= 0 {
		r = 60
	}
	for i := 0; i < cfg.Bots; i++ {
		x, y, ok := z.RandomWalkable(cx, cy, r)
		if !ok {
			continue
		}
		e, err := z.SpawnPlayer(x, y, 0)
		if err != nil {
			break // an instance's cap
		}
		z.MakeBot(e, cx, cy, r)
		p.Host.Names[e] = fmt.Sprintf("bot%d", i)
		p.Bots = append(p.Bots, e)
	}
	if cfg.Deaths {
		z.Schedule.Add(ecs.PhaseSimulation, "play-log", ecs.SystemFunc(p.logDeaths))
		p.spawned = generic.NewFilter2[systems.Appearance, systems.Replica]()
		p.spawned.Register(&z.World.ECS)
		p.logSpawns(z.World) // what the zone starts with, counted
		z.Schedule.Add(ecs.PhaseSpatial, "play-spawns", ecs.SystemFunc(p.logSpawns))
	}
	return p, nil
}

// logDeaths writes this tick's deaths (it runs after the scripts, while
// the dead are still there).
func (p *Play) logDeaths(w *ecs.World) {
	log := ecs.Resource[systems.CombatLog](w)
	for _, h := range log.Hits {
		if !h.Killed {
			continue
		}
		p.log(fmt.Sprintf("tick %d: %s killed %s", w.Time.Tick, p.describe(h.Source), p.describe(h.Target)))
	}
}

// logSpawns writes the NPCs that came into the world since the last tick
// (respawns, scripts' spawns), by template.
func (p *Play) logSpawns(w *ecs.World) {
	counts := map[string]int{}
	top := p.netIDs
	q := p.spawned.Query(&w.ECS)
	for q.Next() {
		a, r := q.Get()
		top = max(top, r.NetID)
		if r.NetID <= p.netIDs || a.Kind != spatial.KindNPC {
			continue
		}
		name := fmt.Sprintf("npc %d", a.Template)
		if def := p.Engine.Content().NPCByID(a.Template); def != nil {
			name = def.Name
		}
		counts[name]++
	}
	p.netIDs = top
	if len(counts) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%d × %s", counts[n], n)
	}
	p.log(fmt.Sprintf("tick %d: spawned %s", w.Time.Tick, strings.Join(parts, ", ")))
}

func (p *Play) describe(e arche.Entity) string {
	if !p.Zone.World.ECS.Alive(e) {
		return "(gone)"
	}
	a := p.app.Get(e)
	if a.Kind == spatial.KindPlayer {
		return p.Host.Name(e)
	}
	if def := p.Engine.Content().NPCByID(a.Template); def != nil {
		return fmt.Sprintf("%s (level %d)", def.Name, a.Level)
	}
	return fmt.Sprintf("npc %d", a.Template)
}

// Step runs one tick.
func (p *Play) Step() ecs.TickStats { return p.Zone.Tick() }

// Summary writes what each bot owns.
func (p *Play) Summary(out io.Writer) {
	set := p.Engine.Content()
	for _, b := range p.Bots {
		items := p.Host.Items[b]
		fmt.Fprintf(out, "%s:", p.Host.Name(b))
		for _, id := range slices.Sorted(maps.Keys(items)) {
			if items[id] == 0 {
				continue
			}
			name := fmt.Sprint(id)
			if d := set.ItemByID(id); d != nil {
				name = d.Name
			}
			fmt.Fprintf(out, " %d × %s", items[id], name)
		}
		fmt.Fprintln(out)
	}
	s := &p.Engine.Stats
	fmt.Fprintf(out, "scripts: %d calls, %d errors (%d over budget), %d handlers disabled %v\n",
		s.Calls.Load(), s.Errors.Load(), s.Overruns.Load(), s.Disabled.Load(), p.Engine.Disabled())
}
