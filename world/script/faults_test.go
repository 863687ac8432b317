package script

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gridrealm/gridrealm/world/content"
)

// faulty is content whose timers call, every tick, a handler that loops
// forever, one that raises, one that reaches outside its API, and one
// that works.
func faulty() fstest.MapFS {
	return fstest.MapFS{
		"zones.yaml": {Data: []byte(`rules:
  script_steps: 50000
zones:
  open:
    map: {size: 128, obstacles: -1}
    camps:
      - {npc: wolf, x: 64, y: 64, count: 20, radius: 20}
npcs:
  wolf: {id: 1}
timers:
  spin:   {handler: loop.star:spin,     every_ticks: 1}
  boom:   {handler: raise.star:boom,    every_ticks: 1}
  escape: {handler: sneak.star:escape,  every_ticks: 1}
  frozen: {handler: sneak.star:hoard,   every_ticks: 1}
  good:   {handler: good.star:count,    every_ticks: 1}
`)},
		"scripts/loop.star":  {Data: []byte("def spin(ev):\n    for i in range(1 << 40):\n        pass\n")},
		"scripts/raise.star": {Data: []byte("def boom(ev):\n    fail(\"boom\")\n")},
		"scripts/sneak.star": {Data: []byte("SEEN = []\n\ndef escape(ev):\n    return world.ecs\n\ndef hoard(ev):\n    SEEN.append(ev.tick)\n")},
		"scripts/good.star":  {Data: []byte("def count(ev):\n    world.set(\"n\", world.get(\"n\", 0) + 1)\n")},
	}
}

// A script that loops forever, one that raises and one that reaches
// outside its API: each is stopped within its budget, reported with its
// file and line, and disabled after three failures in a row; the zone
// ticks on and the rest of the content runs.
func TestFaultyScriptsAreContained(t *testing.T) {
	set, err := content.Load(faulty(), "faulty")
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	p, err := NewPlay(PlayConfig{Content: set, Seed: 1, Log: func(s string) { log = append(log, s) }})
	if err != nil {
		t.Fatal(err)
	}
	const ticks = 20
	for i := 0; i < ticks; i++ {
		p.Step()
	}
	all := strings.Join(log, "\n")
	for _, want := range []string{
		"script error in loop.star:spin: scripts/loop.star:2: Starlark computation cancelled: too many steps (the budget: 50000 steps a call)",
		"script error in raise.star:boom: scripts/raise.star:2: fail: boom",
		"script error in sneak.star:escape: scripts/sneak.star:4: module has no .ecs field or method",
		"script error in sneak.star:hoard: scripts/sneak.star:7: append: cannot append to frozen list",
		"script loop.star:spin disabled after 3 failures in a row",
		"script raise.star:boom disabled after 3 failures in a row",
		"script sneak.star:escape disabled after 3 failures in a row",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	s := &p.Engine.Stats
	if s.Errors.Load() != 12 || s.Overruns.Load() != 3 || s.Disabled.Load() != 4 {
		t.Errorf("errors %d, overruns %d, disabled %d: want 12, 3, 4", s.Errors.Load(), s.Overruns.Load(), s.Disabled.Load())
	}
	if got := p.Zone.World.Time.Tick; got != ticks {
		t.Errorf("the zone ticked %d times, want %d", got, ticks)
	}
	if n, _, _ := p.Engine.vars.Get(starlarkString("n")); n == nil || n.String() != "20" {
		t.Errorf("the working handler ran %v times, want 20", n)
	}
	if t.Failed() {
		t.Log(all)
	}
}

// A script's top level may not reach the world (it runs off the tick, at
// load): the content is refused with the file and line.
func TestTopLevelCannotReachTheWorld(t *testing.T) {
	m := faulty()
	m["scripts/good.star"] = &fstest.MapFile{Data: []byte("START = world.tick()\n\ndef count(ev):\n    pass\n")}
	set, err := content.Load(m, "faulty")
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewPlay(PlayConfig{Content: set, Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "scripts/good.star:1: world.tick: only a handler may reach the world") {
		t.Fatalf("got %v", err)
	}
}

// The tick's budget holds however many handlers run: what does not fit
// waits for the next tick.
func TestTickBudgetDefersTheRest(t *testing.T) {
	m := faulty()
	m["zones.yaml"] = &fstest.MapFile{Data: []byte(`rules:
  script_steps: 1000
  script_tick_steps: 3000
zones:
  open:
    map: {size: 128, obstacles: -1}
timers:
  a: {handler: busy.star:work, every_ticks: 1}
  b: {handler: busy.star:work, every_ticks: 1}
  c: {handler: busy.star:work, every_ticks: 1}
  d: {handler: busy.star:work, every_ticks: 1}
  e: {handler: busy.star:work, every_ticks: 1}
`)}
	m["scripts/busy.star"] = &fstest.MapFile{Data: []byte("def work(ev):\n    for i in range(120):\n        pass\n")}
	set, err := content.Load(m, "budget")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlay(PlayConfig{Content: set, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		p.Step()
		if p.Engine.left > set.ScriptTickSteps {
			t.Fatalf("tick %d: the budget went below zero", i)
		}
	}
	if p.Engine.Stats.Deferred.Load() == 0 || p.Engine.Stats.Errors.Load() != 0 {
		t.Fatalf("deferred %d, errors %d: want some deferred and no error", p.Engine.Stats.Deferred.Load(), p.Engine.Stats.Errors.Load())
	}
}

// A handler within its step budget still cannot spawn, grant or message
// without bound: each tick's calls have a cap on each, and a call past it
// fails (reported) rather than flooding the zone, the db or the players.
func TestPerTickCapsOfSideEffects(t *testing.T) {
	m := faulty()
	m["zones.yaml"] = &fstest.MapFile{Data: []byte(`zones:
  open:
    map: {size: 128, obstacles: -1}
npcs:
  wolf: {id: 1}
timers:
  horde: {handler: horde.star:spawn, every_ticks: 1}
`)}
	m["scripts/horde.star"] = &fstest.MapFile{Data: []byte("def spawn(ev):\n    for i in range(1000):\n        world.spawn(\"wolf\", 64, 64)\n")}
	set, err := content.Load(m, "horde")
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	p, err := NewPlay(PlayConfig{Content: set, Seed: 1, Log: func(s string) { log = append(log, s) }})
	if err != nil {
		t.Fatal(err)
	}
	p.Step()
	if n := p.Zone.Entities(); n != maxSpawnsPerTick {
		t.Fatalf("%d entities after one tick, want %d", n, maxSpawnsPerTick)
	}
	if !strings.Contains(strings.Join(log, "\n"), "scripts/horde.star:3: spawn: 200 NPCs spawned by scripts this tick already") {
		t.Fatalf("log: %q", log)
	}
}
