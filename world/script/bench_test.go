package script

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"go.starlark.net/starlark"

	"github.com/gridrealm/gridrealm/world/content"
)

// BenchmarkHandlerCall is one call of a typical handler: the warden's
// quest counting a wolf's death (an entity read, a variable read and
// written, a string built), through the engine's call path with its step
// budget.
func BenchmarkHandlerCall(b *testing.B) {
	p, err := NewPlay(PlayConfig{Content: defaultContent(b), Seed: 1, NPCs: 0, Bots: 1, BotX: 516, BotY: 516, BotRadius: 4})
	if err != nil {
		b.Fatal(err)
	}
	p.Step()
	e := p.Engine
	bot := e.id(p.Bots[0])
	e.vars.SetKey(starlark.String("wolves/bot0"), starlark.MakeInt(0))
	h := e.set.NPCs["wolf"].OnDeath
	ev := event("npc_death", starlark.StringDict{"npc": starlark.MakeInt(1), "killer": bot, "template": starlark.String("wolf"),
		"x": starlark.Float(1), "y": starlark.Float(2)})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.vars.SetKey(starlark.String("wolves/bot0"), starlark.MakeInt(0))
		e.left = e.set.ScriptTickSteps
		if !e.call(h, ev) {
			b.Fatal("the handler failed")
		}
	}
}

// BenchmarkReloadSwap is the part of a reload that lands in a tick: the
// default content with the wolf's numbers changed, swapped into a zone of
// 50,000 NPCs (a quarter of them wolves, each taking its new numbers).
func BenchmarkReloadSwap(b *testing.B) {
	set := defaultContent(b)
	m := fstest.MapFS{}
	for _, name := range []string{"rules.yaml", "items.yaml", "npcs.yaml", "zones.yaml", "instances.yaml",
		"scripts/quest.star", "scripts/items.star", "scripts/boss.star", "scripts/misc.star"} {
		data, err := fsRead(name)
		if err != nil {
			b.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: data}
	}
	p, err := NewPlay(PlayConfig{Content: set, Seed: 1, NPCs: 50000})
	if err != nil {
		b.Fatal(err)
	}
	p.Step()
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		health := "health: 80"
		if i%2 == 0 {
			health = "health: 90"
		}
		m["npcs.yaml"] = &fstest.MapFile{Data: []byte(replaceOnce(string(mustRead(b, "npcs.yaml")), "health: 80", health))}
		next, err := content.Load(m, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Engine.Reload(next); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		p.Engine.swap(p.Zone.World)
		worst = max(worst, time.Duration(p.Engine.Stats.LastReloadNs.Load()))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}

func fsRead(name string) ([]byte, error) { return fs.ReadFile(content.Default(), name) }

func mustRead(b *testing.B, name string) []byte {
	data, err := fsRead(name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func replaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }
