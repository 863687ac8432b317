package content

import (
	"cmp"
	"fmt"
	"io/fs"
	"math"
	"os"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.starlark.net/starlark"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world"
)

// Set is a content directory loaded and validated: what a zone runs.
// A Set is never changed once loaded; a reload makes a new one.
type Set struct {
	// Dir names where it was loaded from; Version digests its files.
	Dir, Version string
	Rules        systems.Rules
	Bestiary     systems.Bestiary
	NPCs         map[string]*NPCDef
	Items        map[string]*ItemDef
	Zones        map[string]*ZoneDef
	Instances    map[string]*InstanceDef
	Commands     map[string]Handler
	Timers       map[string]TimerDef
	// Scripts are the compiled scripts by file name (scripts/NAME.star).
	Scripts map[string]*starlark.Program

	ScriptSteps, ScriptTickSteps uint64
	ScriptFailures               int
	ReloadLive                   bool

	npcByID  map[uint16]*NPCDef
	itemByID map[uint32]*ItemDef
}

// Defaults of the rules' script budgets.
const (
	DefaultScriptSteps     = 100_000   // Starlark steps of one handler call
	DefaultScriptTickSteps = 2_000_000 // of every call in one tick
	DefaultScriptFailures  = 3         // failures in a row that disable a handler
)

// Handler names a script function: FILE.star:FUNCTION.
type Handler struct{ File, Func string }

func (h Handler) String() string {
	if h.File == "" {
		return ""
	}
	return h.File + ":" + h.Func
}

// NPCDef is an NPC template with its name resolved.
type NPCDef struct {
	Name string // the template's key, as the content and scripts name it
	// Title is what players are told it is called (its name: in YAML;
	// default Name).
	Title   string
	ID      uint16
	Level   uint8
	Kind    systems.NPCKind
	Loot    []LootDef
	OnDeath Handler
	OnTalk  Handler
}

// LootDef is a loot line with its item resolved.
type LootDef struct {
	Item     *ItemDef
	Chance   float64
	Min, Max uint32
}

// ItemDef is an item template with its name resolved.
type ItemDef struct {
	Name                                  string
	ID                                    uint32
	Stackable, Tradable, Usable, Consumed bool
	OnUse                                 Handler
}

// Placement is a camp resolved: Count NPCs of NPC at Level within Radius
// of (X, Y).
type Placement struct {
	NPC    *NPCDef
	X, Y   float32
	Count  int
	Radius float32
	Level  uint8
}

// AreaDef is an area with its handler.
type AreaDef struct {
	Name           string
	X0, Y0, X1, Y1 float32
	OnEnter        Handler
}

// Contains reports whether (x, y) is in the area.
func (a AreaDef) Contains(x, y float32) bool {
	return x >= a.X0 && x < a.X1 && y >= a.Y0 && y < a.Y1
}

// SystemDef is a scripted system.
type SystemDef struct {
	Handler Handler
	Every   uint64
	NPC     *NPCDef // nil: no query
}

// TimerDef is a repeating timer.
type TimerDef struct {
	Handler Handler
	Every   uint64
}

// Ground is a zone's map: loaded from a file (Terrain and Portals) or to
// generate (Map).
type Ground struct {
	File    string
	Terrain *spatial.Terrain
	Portals []world.Portal
	Map     world.MapConfig
}

// Size returns the map's width and height in metres.
func (g Ground) Size() (float32, float32) {
	if g.Terrain != nil {
		return g.Terrain.Size()
	}
	return g.Map.Width, g.Map.Height
}

// ZoneDef is an open zone's content.
type ZoneDef struct {
	Name        string
	Title       string // what players are told it is called (its name: in YAML; default Name)
	Ground      Ground
	SpreadCount int
	SpreadNPCs  []*NPCDef
	SpreadLevel [2]uint8 // 0: each template's
	Camps       []Placement
	Areas       []AreaDef
	Systems     []SystemDef
	MaxVisible  int // the most entities a player is shown (world.ZoneConfig.MaxVisible)
}

// InstanceDef is an instance template's content.
type InstanceDef struct {
	Name           string
	Title          string // as ZoneDef's
	Ground         Ground
	PlayerCap      int
	EntryX, EntryY float32
	Camps          []Placement
	Areas          []AreaDef
	Systems        []SystemDef
}

// NPCByID returns the template of an NPC id (nil: none).
func (s *Set) NPCByID(id uint16) *NPCDef { return s.npcByID[id] }

// ItemByID returns the template of an item id (nil: none).
func (s *Set) ItemByID(id uint32) *ItemDef { return s.itemByID[id] }

// LoadDir loads and validates the content directory dir.
func LoadDir(dir string) (*Set, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, Errors{{File: dir, Msg: err.Error()}}
	} else if !st.IsDir() {
		return nil, Errors{{File: dir, Msg: "not a directory"}}
	}
	return Load(os.DirFS(dir), dir)
}

// Load loads and validates a content directory; dir names it in errors
// and the Set. The error is Errors, every mistake found, each with its
// file (relative to the directory), line and field.
func Load(fsys fs.FS, dir string) (*Set, error) {
	l := &loader{fsys: fsys, scripts: map[string]*scriptFile{}}
	l.readDir()
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	s := l.build()
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	s.Dir, s.Version = dir, shortDigest(l.digest)
	return s, nil
}

// def remembers where a name was first defined.
type def struct {
	src   *source
	field string
}

// build merges the files and checks what each field means.
func (l *loader) build() *Set {
	s := &Set{NPCs: map[string]*NPCDef{}, Items: map[string]*ItemDef{}, Zones: map[string]*ZoneDef{},
		Instances: map[string]*InstanceDef{}, Commands: map[string]Handler{}, Timers: map[string]TimerDef{},
		Scripts: map[string]*starlark.Program{}, npcByID: map[uint16]*NPCDef{}, itemByID: map[uint32]*ItemDef{}}
	for name, sf := range l.scripts {
		s.Scripts[name] = sf.prog
	}
	seen := map[string]def{}
	once := func(src *source, section, name string) bool {
		key := section + "." + name
		if d, dup := seen[key]; dup {
			l.fail(src.name, src.line(key), key, "defined again (first in %s:%d)", d.src.name, d.src.line(d.field))
			return false
		}
		seen[key] = def{src, key}
		return true
	}
	var rules *source
	// Items first: NPCs' loot names them.
	for _, src := range l.sources {
		if src.file.Rules != nil {
			if rules != nil {
				l.fail(src.name, src.line("rules"), "rules", "defined again (first in %s:%d)", rules.name, rules.line("rules"))
			} else {
				rules = src
				l.rules(s, src)
			}
		}
		for _, name := range sortedKeys(src.file.Items) {
			if once(src, "items", name) {
				l.item(s, src, name, src.file.Items[name])
			}
		}
	}
	if rules == nil { // every rule at its default
		l.rules(s, &source{name: "(defaults)", file: File{Rules: &Rules{}}, lines: map[string]int{}})
	}
	for _, src := range l.sources {
		for _, name := range sortedKeys(src.file.NPCs) {
			if once(src, "npcs", name) {
				l.npc(s, src, name, src.file.NPCs[name])
			}
		}
	}
	s.Bestiary.Kinds = map[uint16]systems.NPCKind{}
	for _, n := range s.NPCs {
		s.Bestiary.Kinds[n.ID] = n.Kind
	}
	for _, src := range l.sources {
		for _, name := range sortedKeys(src.file.Zones) {
			if once(src, "zones", name) {
				l.zone(s, src, name, src.file.Zones[name])
			}
		}
		for _, name := range sortedKeys(src.file.Instances) {
			if once(src, "instances", name) {
				l.instance(s, src, name, src.file.Instances[name])
			}
		}
		l.commandsAndTimers(s, src, once)
	}
	return s
}

// commandsAndTimers reads a file's commands and timers.
func (l *loader) commandsAndTimers(s *Set, src *source, once func(*source, string, string) bool) {
	for _, name := range sortedKeys(src.file.Commands) {
		field := "commands." + name
		if !once(src, "commands", name) {
			continue
		}
		if !commandRE.MatchString(name) || builtinCommands[name] {
			l.fail(src.name, src.line(field), field, "a command is 1-32 of a-z, 0-9 and _, and not one of the engine's (party, talk, use)")
			continue
		}
		s.Commands[name] = l.handler(src, field, src.file.Commands[name], true)
	}
	for _, name := range sortedKeys(src.file.Timers) {
		field := "timers." + name
		if !once(src, "timers", name) {
			continue
		}
		t := src.file.Timers[name]
		if t.Every < 1 {
			l.fail(src.name, src.line(field+".every_ticks"), field+".every_ticks", "want 1 or more ticks")
		}
		s.Timers[name] = TimerDef{Handler: l.handler(src, field+".handler", t.Handler, true), Every: t.Every}
	}
}

var commandRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// builtinCommands are the chat commands the engine handles itself.
var builtinCommands = map[string]bool{"party": true, "talk": true, "use": true}

func (l *loader) rules(s *Set, src *source) {
	r := src.file.Rules
	bad := func(field, want string) { l.fail(src.name, src.line("rules."+field), "rules."+field, "%s", want) }
	nonNeg := map[string]float64{"player_speed": float64(r.PlayerSpeed), "player_health": float64(r.PlayerHealth),
		"player_damage": float64(r.PlayerDamage), "player_range": float64(r.PlayerRange), "paths_per_tick": float64(r.PathsPerTick),
		"script_failures": float64(r.ScriptFailures)}
	for _, f := range sortedKeys(nonNeg) {
		if v := nonNeg[f]; v < 0 || math.IsNaN(v) {
			bad(f, "must not be negative")
		}
	}
	if r.RegenFraction < 0 || r.RegenFraction > 1 {
		bad("regen_fraction", "want 0..1")
	}
	if r.PlayerSpeed > 50 {
		bad("player_speed", "at most 50 m/s (the gateways' move checks and the wire's steps)")
	}
	switch r.Reload {
	case "", "live", "respawn":
	default:
		bad("reload", `want "live" or "respawn"`)
	}
	s.Rules = systems.Rules{PlayerSpeed: r.PlayerSpeed, PlayerHealth: r.PlayerHealth, PlayerDamage: r.PlayerDamage,
		PlayerRange: r.PlayerRange, PlayerCooldown: r.PlayerCooldown, ThinkEvery: r.ThinkEvery, IdleTicks: r.IdleTicks,
		PathEvery: r.PathEvery, PathsPerTick: r.PathsPerTick, RegenEvery: r.RegenEvery, RegenDelay: r.RegenDelay,
		RegenFraction: r.RegenFraction}.WithDefaults()
	s.ScriptSteps, s.ScriptTickSteps, s.ScriptFailures = r.ScriptSteps, r.ScriptTickSteps, r.ScriptFailures
	if s.ScriptSteps == 0 {
		s.ScriptSteps = DefaultScriptSteps
	}
	if s.ScriptTickSteps == 0 {
		s.ScriptTickSteps = DefaultScriptTickSteps
	}
	if s.ScriptFailures == 0 {
		s.ScriptFailures = DefaultScriptFailures
	}
	if s.ScriptTickSteps < s.ScriptSteps {
		bad("script_tick_steps", "want at least script_steps: a call starts only with its whole budget left in the tick's")
	}
	s.ReloadLive = r.Reload != "respawn"
}

func (l *loader) item(s *Set, src *source, name string, it Item) {
	at := "items." + name
	bad := func(field, format string, a ...any) {
		l.fail(src.name, src.line(at+field), at+field, format, a...)
	}
	switch {
	case it.ID < 1 || it.ID > math.MaxInt32:
		bad(".id", "want 1..%d", math.MaxInt32)
	case s.itemByID[uint32(it.ID)] != nil:
		bad(".id", "%d is item %s's id too", it.ID, s.itemByID[uint32(it.ID)].Name)
	}
	if it.Usable != (it.OnUse != "") {
		bad(".on_use", "a usable item has an on_use handler, and only a usable one")
	}
	if it.Consumed && !it.Usable {
		bad(".consumed", "only a usable item is consumed")
	}
	d := &ItemDef{Name: name, ID: uint32(it.ID), Stackable: it.Stackable, Tradable: it.Tradable, Usable: it.Usable,
		Consumed: it.Consumed, OnUse: l.handler(src, at+".on_use", it.OnUse, false)}
	s.Items[name] = d
	if it.ID >= 1 && it.ID <= math.MaxInt32 && s.itemByID[uint32(it.ID)] == nil {
		s.itemByID[uint32(it.ID)] = d
	}
}

func (l *loader) npc(s *Set, src *source, name string, n NPC) {
	at := "npcs." + name
	bad := func(field, format string, a ...any) {
		l.fail(src.name, src.line(at+field), at+field, format, a...)
	}
	switch {
	case n.ID < 1 || n.ID > math.MaxUint16:
		bad(".id", "want 1..65535 (what clients see as the template)")
	case s.npcByID[uint16(n.ID)] != nil:
		bad(".id", "%d is npc %s's id too", n.ID, s.npcByID[uint16(n.ID)].Name)
	}
	if n.Level < 0 || n.Level > 255 {
		bad(".level", "want 1..255")
	}
	for f, v := range map[string]float64{".health": float64(n.Health), ".damage": float64(n.Damage), ".range": float64(n.Range),
		".walk": float64(n.Walk), ".run": float64(n.Run), ".aggro": float64(n.Aggro), ".leash": float64(n.Leash),
		".wander": float64(n.Wander), ".per_level.health": float64(n.PerLevel.Health), ".per_level.damage": float64(n.PerLevel.Damage)} {
		if v < 0 || math.IsNaN(v) {
			bad(f, "must not be negative")
		}
	}
	if n.Run > 50 || n.Walk > 50 {
		bad(".run", "at most 50 m/s")
	}
	if n.Leash > 0 && n.Aggro > n.Leash {
		bad(".aggro", "%.0f m is beyond the leash (%.0f m): it would chase and give up at once", n.Aggro, n.Leash)
	}
	title := cmp.Or(n.Name, name)
	if why := displayName(title); why != "" {
		bad(".name", "%s", why)
	}
	d := &NPCDef{Name: name, Title: title, ID: uint16(n.ID), Level: uint8(max(1, min(n.Level, 255))),
		Kind: systems.NPCKind{Health: n.Health, Damage: n.Damage, Range: n.Range, Cooldown: n.Cooldown, Walk: n.Walk, Run: n.Run,
			Aggro: n.Aggro, Leash: n.Leash, Wander: n.Wander, Respawn: n.Respawn, HealthPerLevel: n.PerLevel.Health, DamagePerLevel: n.PerLevel.Damage, Peaceful: n.Peaceful},
		OnDeath: l.handler(src, at+".on_death", n.OnDeath, false), OnTalk: l.handler(src, at+".on_talk", n.OnTalk, false)}
	for i, lt := range n.Loot {
		f := fmt.Sprintf(".loot[%d]", i)
		it := s.Items[lt.Item]
		if it == nil {
			bad(f+".item", "no item %q (the items: %s)", lt.Item, strings.Join(sortedKeys(s.Items), ", "))
		}
		if !(lt.Chance > 0 && lt.Chance <= 1) {
			bad(f+".chance", "want more than 0 and at most 1")
		}
		lo, hi := 1, 1
		switch len(lt.Count) {
		case 0:
		case 1:
			lo, hi = lt.Count[0], lt.Count[0]
		case 2:
			lo, hi = lt.Count[0], lt.Count[1]
		default:
			bad(f+".count", "want [n] or [min, max]")
		}
		if lo < 1 || hi < lo || hi > 1000 {
			bad(f+".count", "want 1 ≤ min ≤ max ≤ 1000")
		}
		d.Loot = append(d.Loot, LootDef{Item: it, Chance: lt.Chance, Min: uint32(max(lo, 0)), Max: uint32(max(hi, 0))})
	}
	s.NPCs[name] = d
	if n.ID >= 1 && n.ID <= math.MaxUint16 && s.npcByID[uint16(n.ID)] == nil {
		s.npcByID[uint16(n.ID)] = d
	}
}

// handler resolves FILE.star:FUNCTION against the scripts; empty is none
// unless required.
func (l *loader) handler(src *source, field, v string, required bool) Handler {
	if v == "" {
		if required {
			l.fail(src.name, src.line(field), field, "want a handler, FILE.star:FUNCTION")
		}
		return Handler{}
	}
	file, fn, ok := strings.Cut(v, ":")
	if !ok || !strings.HasSuffix(file, ".star") || fn == "" {
		l.fail(src.name, src.line(field), field, "%q: want FILE.star:FUNCTION (a file of scripts/)", v)
		return Handler{}
	}
	sf := l.scripts[file]
	if sf == nil {
		l.fail(src.name, src.line(field), field, "no script scripts/%s", file)
		return Handler{}
	}
	if _, ok := sf.funcs[fn]; !ok {
		l.fail(src.name, src.line(field), field, "scripts/%s defines no function %s", file, fn)
		return Handler{}
	}
	return Handler{File: file, Func: fn}
}

// ground reads a zone's map: a file of the content directory, or a map to
// generate.
func (l *loader) ground(src *source, at string, m MapSpec, seed uint64) Ground {
	if m.File != "" {
		g := Ground{File: m.File}
		if m.Size != 0 || m.Obstacles != 0 {
			l.fail(src.name, src.line(at+".file"), at+".file", "a map file has its own size and obstacles")
		}
		f, err := l.fsys.Open(m.File)
		if err != nil {
			l.fail(src.name, src.line(at+".file"), at+".file", "%v", err)
			return g
		}
		defer f.Close()
		t, portals, err := world.LoadMapFile(f)
		if err != nil {
			line, msg := mapLine(err.Error())
			l.fail(m.File, line, "", "%s", msg)
			return g
		}
		g.Terrain, g.Portals = t, portals
		return g
	}
	size := m.Size
	if size == 0 {
		size = 1024
	}
	if size < 64 || size > 30000 {
		l.fail(src.name, src.line(at+".size"), at+".size", "want 64..30000 metres")
		size = 1024
	}
	if m.Obstacles >= 0.5 {
		l.fail(src.name, src.line(at+".obstacles"), at+".obstacles", "want a share below 0.5 (negative: none)")
	}
	return Ground{Map: world.MapConfig{Width: size, Height: size, Obstacles: m.Obstacles, Seed: seed}}
}

var mapLineRE = regexp.MustCompile(`^map line (\d+)(?: column \d+)?: `)

func mapLine(s string) (int, string) {
	if m := mapLineRE.FindStringSubmatch(s); m != nil {
		var n int
		fmt.Sscan(m[1], &n)
		return n, strings.TrimPrefix(s, m[0])
	}
	return 0, s
}

// within checks a point against the map.
func (l *loader) within(src *source, field string, g Ground, x, y float32) bool {
	w, h := g.Size()
	if x < 0 || y < 0 || x >= w || y >= h || math.IsNaN(float64(x)) || math.IsNaN(float64(y)) {
		l.fail(src.name, src.line(field), field, "(%g, %g) is not on the %g × %g m map", x, y, w, h)
		return false
	}
	if g.Terrain != nil && !g.Terrain.Walkable(x, y) {
		l.fail(src.name, src.line(field), field, "(%g, %g) is not walkable", x, y)
		return false
	}
	return true
}

func (l *loader) camps(s *Set, src *source, at string, g Ground, camps []Camp) []Placement {
	var out []Placement
	for i, c := range camps {
		f := fmt.Sprintf("%s.camps[%d]", at, i)
		n := s.NPCs[c.NPC]
		if n == nil {
			l.fail(src.name, src.line(f+".npc"), f+".npc", "no npc %q (the npcs: %s)", c.NPC, strings.Join(sortedKeys(s.NPCs), ", "))
		}
		if c.Count < 0 || c.Count > 10000 {
			l.fail(src.name, src.line(f+".count"), f+".count", "want 1..10000 (default 1)")
		}
		if c.Radius < 0 || c.Radius > 1000 {
			l.fail(src.name, src.line(f+".radius"), f+".radius", "want 0..1000 metres")
		}
		if c.Level < 0 || c.Level > 255 {
			l.fail(src.name, src.line(f+".level"), f+".level", "want 1..255 (default the template's)")
		}
		l.within(src, f+".x", g, c.X, c.Y)
		if n == nil {
			continue
		}
		level := n.Level
		if c.Level > 0 && c.Level <= 255 {
			level = uint8(c.Level)
		}
		out = append(out, Placement{NPC: n, X: c.X, Y: c.Y, Count: max(1, c.Count), Radius: c.Radius, Level: level})
	}
	return out
}

func (l *loader) areas(src *source, at string, g Ground, areas []Area) []AreaDef {
	var out []AreaDef
	for i, a := range areas {
		f := fmt.Sprintf("%s.areas[%d]", at, i)
		w, h := g.Size()
		if !(a.X0 < a.X1 && a.Y0 < a.Y1) || a.X0 < 0 || a.Y0 < 0 || a.X1 > w || a.Y1 > h {
			l.fail(src.name, src.line(f), f, "want x0 < x1 and y0 < y1 within the %g × %g m map", w, h)
		}
		out = append(out, AreaDef{Name: a.Name, X0: a.X0, Y0: a.Y0, X1: a.X1, Y1: a.Y1,
			OnEnter: l.handler(src, f+".on_enter", a.OnEnter, true)})
	}
	return out
}

func (l *loader) systems(s *Set, src *source, at string, systems []System) []SystemDef {
	var out []SystemDef
	for i, sy := range systems {
		f := fmt.Sprintf("%s.systems[%d]", at, i)
		d := SystemDef{Handler: l.handler(src, f+".handler", sy.Handler, true), Every: max(1, sy.Every)}
		if sy.NPC != "" {
			if d.NPC = s.NPCs[sy.NPC]; d.NPC == nil {
				l.fail(src.name, src.line(f+".npc"), f+".npc", "no npc %q", sy.NPC)
			}
		}
		out = append(out, d)
	}
	return out
}

func (l *loader) zone(s *Set, src *source, name string, z Zone) {
	at := "zones." + name
	d := &ZoneDef{Name: name, Title: l.title(src, at, z.Name, name), Ground: l.ground(src, at+".map", z.Map, 0), MaxVisible: z.MaxVisible}
	if z.MaxVisible < 0 || z.MaxVisible > world.MaxMaxVisible {
		l.fail(src.name, src.line(at+".max_visible"), at+".max_visible", "want 0..%d (0: every entity in view)", world.MaxMaxVisible)
	}
	if sp := z.Spread; sp != nil {
		if sp.Count < 0 || sp.Count > 1_000_000 {
			l.fail(src.name, src.line(at+".spread.count"), at+".spread.count", "want 0..1000000")
		}
		d.SpreadCount = sp.Count
		for i, n := range sp.NPCs {
			if def := s.NPCs[n]; def == nil {
				f := fmt.Sprintf("%s.spread.npcs[%d]", at, i)
				l.fail(src.name, src.line(f), f, "no npc %q", n)
			} else {
				d.SpreadNPCs = append(d.SpreadNPCs, def)
			}
		}
		if sp.Count > 0 && len(sp.NPCs) == 0 {
			l.fail(src.name, src.line(at+".spread"), at+".spread.npcs", "want the templates to spread")
		}
		if len(sp.Levels) > 0 {
			if len(sp.Levels) != 2 || sp.Levels[0] < 1 || sp.Levels[1] < sp.Levels[0] || sp.Levels[1] > 255 {
				l.fail(src.name, src.line(at+".spread.levels"), at+".spread.levels", "want [min, max] within 1..255")
			} else {
				d.SpreadLevel = [2]uint8{uint8(sp.Levels[0]), uint8(sp.Levels[1])}
			}
		}
	}
	d.Camps = l.camps(s, src, at, d.Ground, z.Camps)
	d.Areas = l.areas(src, at, d.Ground, z.Areas)
	d.Systems = l.systems(s, src, at, z.Systems)
	s.Zones[name] = d
}

// title checks a zone's or instance's display name (at.name), the key
// when unset.
func (l *loader) title(src *source, at, title, key string) string {
	title = cmp.Or(title, key)
	if why := displayName(title); why != "" {
		l.fail(src.name, src.line(at+".name"), at+".name", "%s", why)
	}
	return title
}

func (l *loader) instance(s *Set, src *source, name string, in Instance) {
	at := "instances." + name
	d := &InstanceDef{Name: name, Title: l.title(src, at, in.Name, name), Ground: l.ground(src, at+".map", in.Map, 0), PlayerCap: in.PlayerCap}
	if in.PlayerCap < 1 || in.PlayerCap > 1000 {
		l.fail(src.name, src.line(at+".player_cap"), at+".player_cap", "want 1..1000 players a copy admits")
	}
	w, h := d.Ground.Size()
	d.EntryX, d.EntryY = w/2, h/2
	switch len(in.Entry) {
	case 0:
	case 2:
		d.EntryX, d.EntryY = in.Entry[0], in.Entry[1]
	default:
		l.fail(src.name, src.line(at+".entry"), at+".entry", "want [x, y]")
	}
	l.within(src, at+".entry", d.Ground, d.EntryX, d.EntryY)
	d.Camps = l.camps(s, src, at, d.Ground, in.Camps)
	d.Areas = l.areas(src, at, d.Ground, in.Areas)
	d.Systems = l.systems(s, src, at, in.Systems)
	s.Instances[name] = d
}

// maxTitle bounds a display name, in bytes: what a Names entry carries
// (codec.MaxName).
const maxTitle = 128

// displayName returns why a name cannot be shown to players ("" if it
// can): UTF-8, 1..maxTitle bytes, no control characters, no spaces at
// either end.
func displayName(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "not UTF-8"
	case len(s) == 0 || len(s) > maxTitle:
		return fmt.Sprintf("want 1..%d bytes, not %d", maxTitle, len(s))
	case strings.TrimSpace(s) != s:
		return fmt.Sprintf("%q begins or ends with a space", s)
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Sprintf("%q holds a control character", s)
	}
	return ""
}
