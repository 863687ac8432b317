package script

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/content"
)

// Host is what a script's API reaches beyond the ECS: the items players
// own (in the db, with the zone's epoch, on a zone node) and the messages
// players read. Its calls come from the tick's goroutine.
type Host interface {
	// Give grants count of an item to a player (asynchronously: the db's
	// single operation, fenced by the zone's epoch).
	Give(player arche.Entity, item *content.ItemDef, count uint32)
	// Take destroys count of an item the player owns, reporting whether
	// it had that many.
	Take(player arche.Entity, item *content.ItemDef, count uint32) bool
	// Count is how many of an item the player owns.
	Count(player arche.Entity, item *content.ItemDef) int
	// Consume destroys one used item (a consumed item's use).
	Consume(player arche.Entity, itemID uint64)
	// Tell sends a system message to one player, Announce to all.
	Tell(player arche.Entity, text string)
	Announce(text string)
	// Name is a player's character name ("" for no player).
	Name(player arche.Entity) string
}

// ReloadHost is a Host that hears of each reload as it lands: Reloaded
// is called on the tick's goroutine, right after the swap from old to set
// (the zone node tells its players the NPC templates set renamed).
type ReloadHost interface {
	Host
	Reloaded(old, set *content.Set)
}

// Stats are the engine's counters (read from any goroutine).
type Stats struct {
	Calls, Errors, Overruns, Disabled, Deferred, Dropped, Reloads, ReloadErrors atomic.Int64
	// LastReloadNs is the tick time the last reload took, in ns, and
	// LastReloadNPCs the NPCs that took new numbers in it.
	LastReloadNs, LastReloadNPCs atomic.Int64
}

// maxQueue bounds the calls waiting for the next tick's budget.
const maxQueue = 10000

// Per-tick bounds of what scripts' calls do beyond their steps: a loop
// within its step budget could otherwise spawn thousands of NPCs, or flood
// the db or the players.
const (
	maxSpawnsPerTick   = 200
	maxGivesPerTick    = 500
	maxMessagesPerTick = 2000
)

// call is one handler call waiting to run.
type call struct {
	h    content.Handler
	ev   *starlarkstruct.Struct
	done func(ok bool) // after the call (nil: nothing)
}

// Engine runs a content set's scripts in one zone: the event handlers,
// timers and scripted systems, each call within its step budget and the
// tick within its own. It is a system of the zone's schedule; every call
// happens on the tick's goroutine.
type Engine struct {
	Stats Stats

	zone  *world.Zone
	clock ecs.Clock
	host  Host
	scope string
	log   func(string)

	set     *content.Set
	sc      content.Scope
	modules map[string]starlark.StringDict // file → its frozen globals
	pending struct {
		sync.Mutex
		set     *content.Set
		modules map[string]starlark.StringDict
	}

	thread   *starlark.Thread
	api      *starlarkstruct.Module
	left     uint64 // steps left this tick
	queue    []call
	failures map[content.Handler]int
	disabled map[content.Handler]bool
	vars     *starlark.Dict // the world's variables
	timers   []timer
	handles  map[uint32]arche.Entity // net ids a script was given
	// What this tick's calls did that costs beyond their steps: NPCs
	// spawned, db grants and takes, messages (each bounded per tick).
	spawns, gives, messages int
	inArea                  map[arche.Entity]int // a player's area (index + 1)

	players generic.Filter2[systems.Player, systems.Position]
	npcs    generic.Filter3[systems.Appearance, systems.NPCStats, systems.Health]
	app     generic.Map[systems.Appearance]
	pos     generic.Map[systems.Position]
	health  generic.Map[systems.Health]
	stats   generic.Map[systems.NPCStats]
	rep     generic.Map[systems.Replica]
	dead    generic.Map[systems.Dead]
}

// timer is a world.after call, or a content timer.
type timer struct {
	at    uint64
	h     content.Handler
	fn    starlark.Callable
	arg   starlark.Value
	every uint64
	name  string
}

// New makes the engine of zone scope (an open zone's or instance
// template's name) of set, and adds it to z's schedule. log receives every
// line scripts print and every error (nil: none).
// clock times reloads (nil: the wall clock).
func New(z *world.Zone, set *content.Set, scope string, host Host, log func(string), clock ecs.Clock) (*Engine, error) {
	if log == nil {
		log = func(string) {}
	}
	e := &Engine{zone: z, host: host, scope: scope, log: log, clock: ecs.OrReal(clock), failures: map[content.Handler]int{},
		disabled: map[content.Handler]bool{}, vars: starlark.NewDict(8), handles: map[uint32]arche.Entity{},
		inArea: map[arche.Entity]int{}}
	w := &z.World.ECS
	e.players = *generic.NewFilter2[systems.Player, systems.Position]().Without(generic.T[systems.Dead]())
	e.players.Register(w)
	e.npcs = *generic.NewFilter3[systems.Appearance, systems.NPCStats, systems.Health]().Without(generic.T[systems.Dead]())
	e.npcs.Register(w)
	e.app, e.pos, e.health = generic.NewMap[systems.Appearance](w), generic.NewMap[systems.Position](w), generic.NewMap[systems.Health](w)
	e.stats, e.rep, e.dead = generic.NewMap[systems.NPCStats](w), generic.NewMap[systems.Replica](w), generic.NewMap[systems.Dead](w)
	e.api = e.newAPI()
	e.thread = &starlark.Thread{Name: "zone " + scope, Print: func(th *starlark.Thread, msg string) {
		e.log(fmt.Sprintf("%s: %s", where(th), msg))
	}}
	modules, err := e.prepare(set)
	if err != nil {
		return nil, err
	}
	e.install(set, modules)
	// The swap runs before the inbox, at the tick's very start; handlers
	// after combat and regeneration, before the dead go.
	z.Schedule.Prepend(ecs.PhaseInput, "content", ecs.SystemFunc(e.swap))
	z.Schedule.Add(ecs.PhaseSimulation, "scripts", e)
	return e, nil
}

// where is the script position a thread is at: file:line.
func where(th *starlark.Thread) string {
	for d := 0; d < th.CallStackDepth(); d++ {
		if p := th.CallFrame(d).Pos; p.Filename() != "<builtin>" && p.IsValid() {
			return fmt.Sprintf("%s:%d", p.Filename(), p.Line)
		}
	}
	return "?"
}

// prepare runs each script's top level (off the tick: a reload prepares on
// the watcher's goroutine), with the per-call budget; the globals are then
// frozen, so that no call can keep state in them.
func (e *Engine) prepare(set *content.Set) (map[string]starlark.StringDict, error) {
	modules := map[string]starlark.StringDict{}
	for _, name := range slices.Sorted(maps.Keys(set.Scripts)) {
		th := &starlark.Thread{Name: "load " + name, Print: func(_ *starlark.Thread, msg string) { e.log(name + ": " + msg) }}
		th.SetMaxExecutionSteps(set.ScriptSteps)
		g, err := set.Scripts[name].Init(th, starlark.StringDict{content.APIName: e.api})
		if err != nil {
			return nil, fmt.Errorf("scripts/%s: %s", name, describe(err))
		}
		g.Freeze()
		modules[name] = g
	}
	return modules, nil
}

// describe is an error with the script position it happened at.
func describe(err error) string {
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		for i := len(ee.CallStack) - 1; i >= 0; i-- {
			if p := ee.CallStack[i].Pos; p.Filename() != "<builtin>" && p.IsValid() {
				return fmt.Sprintf("%s:%d: %s", p.Filename(), p.Line, ee.Msg)
			}
		}
		return ee.Msg
	}
	return err.Error()
}

// Reload prepares set and has the zone swap to it at the start of its
// next tick. On error the running content stays.
func (e *Engine) Reload(set *content.Set) error {
	modules, err := e.prepare(set)
	if err != nil {
		e.Stats.ReloadErrors.Add(1)
		return err
	}
	e.pending.Lock()
	e.pending.set, e.pending.modules = set, modules
	e.pending.Unlock()
	return nil
}

// Content returns the running content set (from the tick's goroutine).
func (e *Engine) Content() *content.Set { return e.set }

// swap installs a reloaded set between two ticks.
func (e *Engine) swap(w *ecs.World) {
	e.pending.Lock()
	set, modules := e.pending.set, e.pending.modules
	e.pending.set, e.pending.modules = nil, nil
	e.pending.Unlock()
	if set == nil {
		return
	}
	start := e.clock.Now()
	old := e.set
	e.install(set, modules)
	*ecs.Resource[systems.Rules](w) = set.Rules
	*ecs.Resource[systems.Bestiary](w) = set.Bestiary
	changed := 0
	if set.ReloadLive {
		changed = e.restat(w, old, set)
	}
	if h, ok := e.host.(ReloadHost); ok {
		h.Reloaded(old, set)
	}
	e.Stats.Reloads.Add(1)
	e.Stats.LastReloadNs.Store(int64(e.clock.Now().Sub(start)))
	e.Stats.LastReloadNPCs.Store(int64(changed))
	e.log(fmt.Sprintf("content %s reloaded at tick %d: version %s, %d NPCs took their template's new numbers (%s)",
		set.Dir, w.Time.Tick, set.Version, changed, e.clock.Now().Sub(start).Round(time.Microsecond)))
}

// install makes set the running content: its handlers start afresh.
func (e *Engine) install(set *content.Set, modules map[string]starlark.StringDict) {
	e.set, e.modules, e.sc = set, modules, set.ZoneScope(e.scope)
	clear(e.failures)
	clear(e.disabled)
	e.timers = e.timers[:0]
	for _, name := range slices.Sorted(maps.Keys(set.Timers)) {
		t := set.Timers[name]
		e.timers = append(e.timers, timer{at: e.zone.World.Time.Tick + t.Every, h: t.Handler, every: t.Every, name: name})
	}
}

// restat gives the live NPCs of every changed template its new numbers,
// their health in the same proportion of the new maximum.
func (e *Engine) restat(w *ecs.World, old, set *content.Set) int {
	rules := ecs.Resource[systems.Rules](w)
	n := 0
	q := e.npcs.Query(&w.ECS)
	for q.Next() {
		a, st, h := q.Get()
		if a.Kind != spatial.KindNPC {
			continue
		}
		if old != nil && old.Bestiary.Kinds[a.Template] == set.Bestiary.Kinds[a.Template] {
			continue
		}
		ns, hp := rules.Stats(&set.Bestiary, a.Template, a.Level)
		*st = ns
		if h.Max > 0 {
			h.Cur = max(1, int32(int64(h.Cur)*int64(hp)/int64(h.Max)))
		}
		h.Max = hp
		n++
	}
	return n
}

// Run is the scripts' system: the dead's handlers and loot, areas entered,
// timers, scripted systems, then the calls queued (uses, commands), all
// within the tick's budget.
func (e *Engine) Run(w *ecs.World) {
	e.left = e.set.ScriptTickSteps
	e.spawns, e.gives, e.messages = 0, 0, 0
	tick := w.Time.Tick
	if tick%200 == 0 {
		for id, en := range e.handles {
			if !w.ECS.Alive(en) {
				delete(e.handles, id)
			}
		}
	}
	e.deaths(w)
	e.areas(w)
	e.runTimers(tick)
	for _, sy := range e.sc.Systems {
		if tick%sy.Every != 0 || e.disabled[sy.Handler] {
			continue
		}
		var list []starlark.Value
		if sy.NPC != nil {
			q := e.npcs.Query(&w.ECS)
			for q.Next() {
				if a, _, _ := q.Get(); a.Kind == spatial.KindNPC && a.Template == sy.NPC.ID {
					list = append(list, e.id(q.Entity()))
				}
			}
			if len(list) == 0 {
				continue
			}
		}
		e.enqueue(sy.Handler, event("system", starlark.StringDict{"tick": starlark.MakeUint64(tick), "npcs": starlark.NewList(list)}), nil)
	}
	e.drain()
}

// deaths handles this tick's kills: loot for the player who struck the
// blow, then the template's on_death.
func (e *Engine) deaths(w *ecs.World) {
	log := ecs.Resource[systems.CombatLog](w)
	if log == nil {
		return
	}
	for _, h := range log.Hits {
		if !h.Killed || !w.ECS.Alive(h.Target) {
			continue
		}
		a := e.app.Get(h.Target)
		if a.Kind != spatial.KindNPC {
			continue
		}
		def := e.set.NPCByID(a.Template)
		if def == nil {
			continue
		}
		var killer starlark.Value = starlark.None
		if w.ECS.Alive(h.Source) && e.app.Get(h.Source).Kind == spatial.KindPlayer {
			killer = e.id(h.Source)
			e.loot(w, h.Source, def)
		}
		if def.OnDeath.File != "" {
			p := e.pos.Get(h.Target)
			e.enqueue(def.OnDeath, event("npc_death", starlark.StringDict{"npc": e.id(h.Target), "killer": killer,
				"template": starlark.String(def.Name), "x": starlark.Float(p.X), "y": starlark.Float(p.Y)}), nil)
		}
	}
}

// loot rolls each line of an NPC's loot table for its killer.
func (e *Engine) loot(w *ecs.World, killer arche.Entity, def *content.NPCDef) {
	for _, l := range def.Loot {
		if w.Rand.Float64() >= l.Chance {
			continue
		}
		n := l.Min
		if l.Max > l.Min {
			n += uint32(w.Rand.Uint64N(uint64(l.Max-l.Min) + 1))
		}
		e.host.Give(killer, l.Item, n)
	}
}

// areas notices players stepping into an area of the zone.
func (e *Engine) areas(w *ecs.World) {
	if len(e.sc.Areas) == 0 {
		return
	}
	q := e.players.Query(&w.ECS)
	for q.Next() {
		_, p := q.Get()
		in := 0
		for i, a := range e.sc.Areas {
			if a.Contains(p.X, p.Y) {
				in = i + 1
				break
			}
		}
		en := q.Entity()
		if in == e.inArea[en] {
			continue
		}
		if in == 0 {
			delete(e.inArea, en)
			continue
		}
		e.inArea[en] = in
		a := e.sc.Areas[in-1]
		e.enqueue(a.OnEnter, event("enter_area", starlark.StringDict{"player": e.id(en), "area": starlark.String(a.Name)}), nil)
	}
}

func (e *Engine) runTimers(tick uint64) {
	kept := e.timers[:0]
	var due []timer
	for _, t := range e.timers {
		if t.at > tick {
			kept = append(kept, t)
			continue
		}
		due = append(due, t)
		if t.every > 0 {
			t.at = tick + t.every
			kept = append(kept, t)
		}
	}
	e.timers = kept
	for _, t := range due {
		ev := event("timer", starlark.StringDict{"name": starlark.String(t.name), "arg": orNone(t.arg), "tick": starlark.MakeUint64(tick)})
		if t.fn != nil {
			e.queue = append(e.queue, call{h: content.Handler{File: t.h.File, Func: t.fn.Name()}, ev: ev})
			continue
		}
		e.enqueue(t.h, ev, nil)
	}
}

func orNone(v starlark.Value) starlark.Value {
	if v == nil {
		return starlark.None
	}
	return v
}

// UseItem queues the use of an item: its on_use handler runs in the
// tick's scripts; a consumed item is destroyed once the handler succeeds.
// It reports false for an item that is not usable.
//
// after, when set, is called once the handler ran (ok: it succeeded) or
// when the use is dropped: the host keeps the item from a second use
// until then.
func (e *Engine) UseItem(player arche.Entity, itemID uint64, def *content.ItemDef, after func(ok bool)) bool {
	if def == nil || !def.Usable || def.OnUse.File == "" {
		return false
	}
	done := func(ok bool) {
		if ok && def.Consumed {
			e.host.Consume(player, itemID)
		}
		if after != nil {
			after(ok)
		}
	}
	return e.enqueue(def.OnUse, event("use_item", starlark.StringDict{"player": e.id(player), "item": starlark.String(def.Name),
		"item_id": starlark.MakeUint64(itemID)}), done)
}

// Command handles a chat command ("/name args"): the content's command, or
// /talk to the nearest NPC within 6 m that has an on_talk handler. It
// reports false for a command the content does not know.
func (e *Engine) Command(player arche.Entity, name, args string) bool {
	if name == "talk" {
		return e.talk(player)
	}
	h, ok := e.set.Commands[name]
	if !ok {
		return false
	}
	e.enqueue(h, event("command", starlark.StringDict{"player": e.id(player), "command": starlark.String(name),
		"args": starlark.String(strings.TrimSpace(args))}), nil)
	return true
}

func (e *Engine) talk(player arche.Entity) bool {
	w := e.zone.World
	p := e.pos.Get(player)
	if p == nil {
		return false
	}
	best, bestD := arche.Entity{}, float32(6*6)
	q := e.npcs.Query(&w.ECS)
	for q.Next() {
		a, _, _ := q.Get()
		def := e.set.NPCByID(a.Template)
		if a.Kind != spatial.KindNPC || def == nil || def.OnTalk.File == "" {
			continue
		}
		np := e.pos.Get(q.Entity())
		if d := (np.X-p.X)*(np.X-p.X) + (np.Y-p.Y)*(np.Y-p.Y); d <= bestD {
			best, bestD = q.Entity(), d
		}
	}
	if best.IsZero() {
		e.host.Tell(player, "No one here has anything to say.")
		return true
	}
	def := e.set.NPCByID(e.app.Get(best).Template)
	e.enqueue(def.OnTalk, event("talk", starlark.StringDict{"player": e.id(player), "npc": e.id(best)}), nil)
	return true
}

func event(kind string, fields starlark.StringDict) *starlarkstruct.Struct {
	fields["kind"] = starlark.String(kind)
	return starlarkstruct.FromStringDict(starlarkstruct.Default, fields)
}

// enqueue queues a handler call for this tick's drain (or a later one's,
// when the tick's budget is spent).
func (e *Engine) enqueue(h content.Handler, ev *starlarkstruct.Struct, done func(bool)) bool {
	if h.File == "" || e.disabled[h] {
		return false
	}
	if len(e.queue) >= maxQueue {
		e.Stats.Dropped.Add(1)
		return false
	}
	e.queue = append(e.queue, call{h: h, ev: ev, done: done})
	return true
}

// drain runs the queued calls in order while the tick's budget lasts; the
// rest wait for the next tick, first in line.
func (e *Engine) drain() {
	n := 0
	// A call starts only with its whole budget left in the tick's, so
	// that no call fails for what the calls before it used.
	for ; n < len(e.queue) && e.left >= e.set.ScriptSteps; n++ {
		c := e.queue[n]
		ok := e.call(c.h, c.ev)
		if c.done != nil {
			c.done(ok)
		}
	}
	if rest := len(e.queue) - n; rest > 0 {
		e.Stats.Deferred.Add(int64(rest))
	}
	e.queue = append(e.queue[:0], e.queue[n:]...)
}

// call runs one handler within min(the call's budget, the tick's rest).
func (e *Engine) call(h content.Handler, ev starlark.Value) bool {
	if e.disabled[h] {
		return false
	}
	fn, _ := e.modules[h.File][h.Func].(starlark.Callable)
	if fn == nil {
		return false
	}
	th := e.thread
	th.Uncancel()
	start := th.ExecutionSteps()
	th.SetMaxExecutionSteps(start + e.set.ScriptSteps)
	e.Stats.Calls.Add(1)
	_, err := starlark.Call(th, fn, starlark.Tuple{ev}, nil)
	used := th.ExecutionSteps() - start
	e.left -= min(used, e.left)
	if err == nil {
		e.failures[h] = 0
		return true
	}
	e.Stats.Errors.Add(1)
	msg := describe(err)
	if strings.Contains(err.Error(), "too many steps") {
		e.Stats.Overruns.Add(1)
		msg += fmt.Sprintf(" (the budget: %d steps a call)", e.set.ScriptSteps)
	}
	e.failures[h]++
	e.log(fmt.Sprintf("script error in %s: %s", h, msg))
	if e.failures[h] >= e.set.ScriptFailures {
		e.disabled[h] = true
		e.Stats.Disabled.Add(1)
		e.log(fmt.Sprintf("script %s disabled after %d failures in a row (a reload enables it again)", h, e.failures[h]))
	}
	return false
}

// Disabled lists the handlers disabled for failing.
func (e *Engine) Disabled() []string {
	var out []string
	for h := range e.disabled {
		out = append(out, h.String())
	}
	sort.Strings(out)
	return out
}

// id is the script's handle of an entity: its network id.
func (e *Engine) id(en arche.Entity) starlark.Value {
	r := e.rep.Get(en)
	if r == nil {
		return starlark.None
	}
	e.handles[r.NetID] = en
	return starlark.MakeUint64(uint64(r.NetID))
}

// entity resolves a script's handle.
func (e *Engine) entity(v starlark.Value) (arche.Entity, error) {
	n, ok := v.(starlark.Int)
	if !ok {
		return arche.Entity{}, fmt.Errorf("want an entity id (an int), got %s", v.Type())
	}
	id, ok := n.Uint64()
	en, known := e.handles[uint32(id)]
	if !ok || !known || !e.zone.World.ECS.Alive(en) {
		return arche.Entity{}, fmt.Errorf("no entity %s here", n)
	}
	return en, nil
}
