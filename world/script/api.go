package script

import (
	"fmt"
	"math"
	"sort"

	arche "github.com/mlange-42/arche/ecs"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world/content"
)

// The API a script reaches the zone through: the module "world". It is the
// whole surface — scripts see no ECS, no node, no file, no clock, no
// network. Entities are their network ids (ints); items and NPC templates
// their content names.
//
//	world.tick()                          the current tick
//	world.entity(id)                      a live view (id, kind, name, template, level, x, y, health,
//	                                      max_health), or None for no such entity
//	world.near(x, y, radius, kind="player")  ids within radius, nearest first
//	world.set_health(id, hp)              0 kills
//	world.set_stats(id, damage=, run=, walk=, range=, cooldown_ticks=, aggro=)   an NPC's numbers
//	world.spawn(npc, x, y, level=)        a new NPC of a template: its id (None where it cannot stand)
//	world.despawn(id)                     an NPC goes (no death, no loot)
//	world.give(player, item, count=1)     grant items (the db's single operation, the zone's epoch)
//	world.take(player, item, count=1)     destroy items the player owns: False if it has fewer
//	world.count(player, item)             how many it owns
//	world.tell(player, text), world.announce(text)
//	world.random(), world.randint(lo, hi) the world's seeded generator
//	world.get(key, default=None), world.set(key, value)   the world's variables (None deletes)
//	world.after(ticks, fn, arg=None)      call fn(ev) later (ev.arg)
//
// print() goes to the zone's script log.
func (e *Engine) newAPI() *starlarkstruct.Module {
	fns := map[string]func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error){
		"tick":       e.apiTick,
		"entity":     e.apiEntity,
		"near":       e.apiNear,
		"set_health": e.apiSetHealth,
		"set_stats":  e.apiSetStats,
		"spawn":      e.apiSpawn,
		"despawn":    e.apiDespawn,
		"give":       e.apiGive,
		"take":       e.apiTake,
		"count":      e.apiCount,
		"tell":       e.apiTell,
		"announce":   e.apiAnnounce,
		"random":     e.apiRandom,
		"randint":    e.apiRandint,
		"get":        e.apiGet,
		"set":        e.apiSet,
		"after":      e.apiAfter,
	}
	m := &starlarkstruct.Module{Name: content.APIName, Members: starlark.StringDict{}}
	for name, fn := range fns {
		f := fn
		m.Members[name] = starlark.NewBuiltin(name, func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			if th != e.thread {
				return nil, fmt.Errorf("world.%s: only a handler may reach the world, not a script's top level", b.Name())
			}
			return f(th, b, args, kw)
		})
	}
	m.Members.Freeze()
	return m
}

// num unpacks an int or a float.
type num float64

func (n *num) Unpack(v starlark.Value) error {
	f, ok := starlark.AsFloat(v)
	if !ok {
		return fmt.Errorf("got %s, want a number", v.Type())
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("got %g, want a finite number", f)
	}
	*n = num(f)
	return nil
}

func (e *Engine) apiTick(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kw); err != nil {
		return nil, err
	}
	return starlark.MakeUint64(e.zone.World.Time.Tick), nil
}

func (e *Engine) apiEntity(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var id starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kw, "id", &id); err != nil {
		return nil, err
	}
	en, err := e.entity(id)
	if err != nil {
		return starlark.None, nil
	}
	return &entityView{e: e, en: en, id: id}, nil
}

// entityView is world.entity's answer: a live view of one entity, its
// fields read when the script reads them (no copy made for fields it
// does not read).
type entityView struct {
	e  *Engine
	en arche.Entity
	id starlark.Value
}

var entityFields = []string{"health", "id", "kind", "level", "max_health", "name", "template", "x", "y"}

func (v *entityView) String() string        { return "entity(" + v.id.String() + ")" }
func (v *entityView) Type() string          { return "entity" }
func (v *entityView) Freeze()               {}
func (v *entityView) Truth() starlark.Bool  { return starlark.True }
func (v *entityView) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: entity") }
func (v *entityView) AttrNames() []string   { return entityFields }

// Attr reads a field; an entity gone since reads as it was last (its id)
// or None.
func (v *entityView) Attr(name string) (starlark.Value, error) {
	e := v.e
	if name == "id" {
		return v.id, nil
	}
	if !e.zone.World.ECS.Alive(v.en) {
		return starlark.None, nil
	}
	switch name {
	case "kind":
		if e.app.Get(v.en).Kind == spatial.KindPlayer {
			return starlark.String("player"), nil
		}
		return starlark.String("npc"), nil
	case "name":
		if e.app.Get(v.en).Kind == spatial.KindPlayer {
			return starlark.String(e.host.Name(v.en)), nil
		}
		return starlark.String(""), nil
	case "template":
		if a := e.app.Get(v.en); a.Kind != spatial.KindPlayer {
			if def := e.set.NPCByID(a.Template); def != nil {
				return starlark.String(def.Name), nil
			}
		}
		return starlark.String(""), nil
	case "level":
		return starlark.MakeInt(int(e.app.Get(v.en).Level)), nil
	case "x":
		return starlark.Float(e.pos.Get(v.en).X), nil
	case "y":
		return starlark.Float(e.pos.Get(v.en).Y), nil
	case "health":
		return starlark.MakeInt(int(e.health.Get(v.en).Cur)), nil
	case "max_health":
		return starlark.MakeInt(int(e.health.Get(v.en).Max)), nil
	}
	return nil, nil // no such field: Starlark says so
}

func (e *Engine) apiNear(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var x, y, r num
	kind := "player"
	if err := starlark.UnpackArgs(b.Name(), args, kw, "x", &x, "y", &y, "radius", &r, "kind?", &kind); err != nil {
		return nil, err
	}
	k := spatial.KindPlayer
	switch kind {
	case "player":
	case "npc":
		k = spatial.KindNPC
	default:
		return nil, fmt.Errorf("near: kind %q: want \"player\" or \"npc\"", kind)
	}
	if !(r >= 0 && r <= 200) {
		return nil, fmt.Errorf("near: radius %g: want 0..200 m", r)
	}
	w := e.zone.World
	prox := ecs.Resource[systems.Proximity](w)
	type hit struct {
		en arche.Entity
		d  float32
		id uint32
	}
	var hits []hit
	prox.Within(e.zone.Cells, float32(x), float32(y), float32(r), k, func(n *systems.Near) {
		dx, dy := n.X-float32(x), n.Y-float32(y)
		if !w.ECS.Alive(n.E) || e.dead.Has(n.E) {
			return
		}
		hits = append(hits, hit{n.E, dx*dx + dy*dy, e.rep.Get(n.E).NetID})
	})
	sort.Slice(hits, func(i, j int) bool { return hits[i].d < hits[j].d || hits[i].d == hits[j].d && hits[i].id < hits[j].id })
	out := make([]starlark.Value, len(hits))
	for i, h := range hits {
		out[i] = e.id(h.en)
	}
	return starlark.NewList(out), nil
}

func (e *Engine) apiSetHealth(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var id starlark.Value
	var hp int
	if err := starlark.UnpackArgs(b.Name(), args, kw, "id", &id, "hp", &hp); err != nil {
		return nil, err
	}
	en, err := e.entity(id)
	if err != nil {
		return nil, fmt.Errorf("set_health: %w", err)
	}
	h := e.health.Get(en)
	h.Cur = int32(max(0, min(hp, int(h.Max))))
	if h.Cur == 0 {
		h.Cur = 1 // a kill is combat's: scripts wound, they do not slay
	}
	return starlark.None, nil
}

func (e *Engine) apiSetStats(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var id starlark.Value
	damage, cooldown := -1, -1
	run, walk, rng, aggro := num(-1), num(-1), num(-1), num(-1)
	if err := starlark.UnpackArgs(b.Name(), args, kw, "id", &id, "damage?", &damage, "run?", &run, "walk?", &walk,
		"range?", &rng, "cooldown_ticks?", &cooldown, "aggro?", &aggro); err != nil {
		return nil, err
	}
	en, err := e.entity(id)
	if err != nil {
		return nil, fmt.Errorf("set_stats: %w", err)
	}
	st := e.stats.Get(en)
	if st == nil {
		return nil, fmt.Errorf("set_stats: %s is not an NPC", id)
	}
	if damage > 100000 || cooldown > 100000 || run > 50 || walk > 50 || rng > 50 || aggro > 100 {
		return nil, fmt.Errorf("set_stats: a number out of range (damage ≤ 100000, cooldown ≤ 100000 ticks, speeds ≤ 50 m/s, range ≤ 50 m, aggro ≤ 100 m)")
	}
	if damage >= 0 {
		st.Damage = int32(damage)
	}
	if cooldown >= 1 {
		st.Cooldown = uint64(cooldown)
	}
	if run >= 0 {
		st.Run = float32(run)
	}
	if walk >= 0 {
		st.Walk = float32(walk)
	}
	if rng >= 0 {
		st.Range = float32(rng)
	}
	if aggro >= 0 {
		st.Aggro = float32(aggro)
	}
	return starlark.None, nil
}

func (e *Engine) apiSpawn(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var name string
	var x, y num
	level := 0
	if err := starlark.UnpackArgs(b.Name(), args, kw, "npc", &name, "x", &x, "y", &y, "level?", &level); err != nil {
		return nil, err
	}
	def := e.set.NPCs[name]
	if def == nil {
		return nil, fmt.Errorf("spawn: no npc %q", name)
	}
	if level < 0 || level > 255 {
		return nil, fmt.Errorf("spawn: level %d: want 1..255", level)
	}
	if level == 0 {
		level = int(def.Level)
	}
	if e.spawns >= maxSpawnsPerTick {
		return nil, fmt.Errorf("spawn: %d NPCs spawned by scripts this tick already", maxSpawnsPerTick)
	}
	e.spawns++
	en, err := e.zone.SpawnNPC(float32(x), float32(y), def.ID, uint8(level))
	if err != nil {
		return starlark.None, nil
	}
	return e.id(en), nil
}

func (e *Engine) apiDespawn(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var id starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kw, "id", &id); err != nil {
		return nil, err
	}
	en, err := e.entity(id)
	if err != nil {
		return nil, fmt.Errorf("despawn: %w", err)
	}
	if e.app.Get(en).Kind != spatial.KindNPC {
		return nil, fmt.Errorf("despawn: %s is not an NPC", id)
	}
	e.zone.DespawnNPC(en)
	return starlark.None, nil
}

func (e *Engine) itemArgs(b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple, withCount bool) (arche.Entity, *content.ItemDef, uint32, error) {
	var id starlark.Value
	var name string
	count := 1
	var err error
	if withCount {
		err = starlark.UnpackArgs(b.Name(), args, kw, "player", &id, "item", &name, "count?", &count)
	} else {
		err = starlark.UnpackArgs(b.Name(), args, kw, "player", &id, "item", &name)
	}
	if err != nil {
		return arche.Entity{}, nil, 0, err
	}
	en, err := e.entity(id)
	if err != nil {
		return en, nil, 0, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if e.app.Get(en).Kind != spatial.KindPlayer {
		return en, nil, 0, fmt.Errorf("%s: %s is not a player", b.Name(), id)
	}
	def := e.set.Items[name]
	if def == nil {
		return en, nil, 0, fmt.Errorf("%s: no item %q", b.Name(), name)
	}
	if count < 1 || count > 1000 {
		return en, nil, 0, fmt.Errorf("%s: count %d: want 1..1000", b.Name(), count)
	}
	return en, def, uint32(count), nil
}

// countGive counts a db operation against the tick's bound.
func (e *Engine) countGive(name string) error {
	if e.gives >= maxGivesPerTick {
		return fmt.Errorf("%s: %d item changes by scripts this tick already", name, maxGivesPerTick)
	}
	e.gives++
	return nil
}

// countMessage counts a message against the tick's bound.
func (e *Engine) countMessage(name string) error {
	if e.messages >= maxMessagesPerTick {
		return fmt.Errorf("%s: %d messages from scripts this tick already", name, maxMessagesPerTick)
	}
	e.messages++
	return nil
}

func (e *Engine) apiGive(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	en, def, n, err := e.itemArgs(b, args, kw, true)
	if err != nil {
		return nil, err
	}
	if err := e.countGive("give"); err != nil {
		return nil, err
	}
	e.host.Give(en, def, n)
	return starlark.None, nil
}

func (e *Engine) apiTake(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	en, def, n, err := e.itemArgs(b, args, kw, true)
	if err != nil {
		return nil, err
	}
	if err := e.countGive("take"); err != nil {
		return nil, err
	}
	return starlark.Bool(e.host.Take(en, def, n)), nil
}

func (e *Engine) apiCount(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	en, def, _, err := e.itemArgs(b, args, kw, false)
	if err != nil {
		return nil, err
	}
	return starlark.MakeInt(e.host.Count(en, def)), nil
}

func (e *Engine) apiTell(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var id starlark.Value
	var text string
	if err := starlark.UnpackArgs(b.Name(), args, kw, "player", &id, "text", &text); err != nil {
		return nil, err
	}
	en, err := e.entity(id)
	if err != nil {
		return nil, fmt.Errorf("tell: %w", err)
	}
	if err := e.countMessage("tell"); err != nil {
		return nil, err
	}
	if len(text) > 512 {
		text = text[:512]
	}
	e.host.Tell(en, text)
	return starlark.None, nil
}

func (e *Engine) apiAnnounce(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var text string
	if err := starlark.UnpackArgs(b.Name(), args, kw, "text", &text); err != nil {
		return nil, err
	}
	if err := e.countMessage("announce"); err != nil {
		return nil, err
	}
	if len(text) > 512 {
		text = text[:512]
	}
	e.host.Announce(text)
	return starlark.None, nil
}

func (e *Engine) apiRandom(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kw); err != nil {
		return nil, err
	}
	return starlark.Float(e.zone.World.Rand.Float64()), nil
}

func (e *Engine) apiRandint(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var lo, hi int
	if err := starlark.UnpackArgs(b.Name(), args, kw, "lo", &lo, "hi", &hi); err != nil {
		return nil, err
	}
	if hi < lo || hi-lo > math.MaxInt32 {
		return nil, fmt.Errorf("randint: want lo ≤ hi (within 2^31)")
	}
	return starlark.MakeInt(lo + int(e.zone.World.Rand.Uint64N(uint64(hi-lo)+1))), nil
}

// maxVars bounds the world's variables.
const maxVars = 100000

func (e *Engine) apiGet(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var key string
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kw, "key", &key, "default?", &def); err != nil {
		return nil, err
	}
	v, found, _ := e.vars.Get(starlark.String(key))
	if !found {
		return def, nil
	}
	return v, nil
}

func (e *Engine) apiSet(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var key string
	var v starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kw, "key", &key, "value", &v); err != nil {
		return nil, err
	}
	switch v.(type) {
	case starlark.NoneType:
		_, _, err := e.vars.Delete(starlark.String(key))
		return starlark.None, err
	case starlark.Int, starlark.Float, starlark.String, starlark.Bool:
	default:
		return nil, fmt.Errorf("set: %s: a variable holds None, an int, a float, a string or a bool, not a %s", key, v.Type())
	}
	if e.vars.Len() >= maxVars {
		if _, found, _ := e.vars.Get(starlark.String(key)); !found {
			return nil, fmt.Errorf("set: the world holds %d variables already", maxVars)
		}
	}
	return starlark.None, e.vars.SetKey(starlark.String(key), v)
}

func (e *Engine) apiAfter(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
	var ticks int
	var fn *starlark.Function
	var arg starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kw, "ticks", &ticks, "fn", &fn, "arg?", &arg); err != nil {
		return nil, err
	}
	if ticks < 1 || ticks > 20*3600 {
		return nil, fmt.Errorf("after: %d ticks: want 1..72000", ticks)
	}
	if len(e.timers) >= 10000 {
		return nil, fmt.Errorf("after: 10000 timers wait already")
	}
	switch arg.(type) {
	case starlark.NoneType, starlark.Int, starlark.Float, starlark.String, starlark.Bool:
	default:
		return nil, fmt.Errorf("after: arg is None, an int, a float, a string or a bool, not a %s", arg.Type())
	}
	file := fn.Position().Filename()
	if i := len("scripts/"); len(file) > i && file[:i] == "scripts/" {
		file = file[i:]
	}
	e.timers = append(e.timers, timer{at: e.zone.World.Time.Tick + uint64(ticks), h: content.Handler{File: file}, fn: fn, arg: arg})
	return starlark.None, nil
}
