package script

import (
	"go.starlark.net/starlark"

	"strings"
	"testing"

	"github.com/gridrealm/gridrealm/world/content"
)

func defaultContent(t testing.TB) *content.Set {
	t.Helper()
	s, err := content.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The crypt's Lich fights in phases (the example boss): five players at
// its lair bring it down; it calls its servants at 60%, is enraged at 25%,
// and drops its crown.
func TestLichFightsInPhases(t *testing.T) {
	var log []string
	p, err := NewPlay(PlayConfig{Content: defaultContent(t), Zone: "crypt", Seed: 3, Bots: 5, BotX: 128, BotY: 232, BotRadius: 3,
		Log: func(s string) { log = append(log, s) }, Deaths: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6000 && p.Host.Granted[1110] == 0; i++ {
		p.Step()
	}
	all := strings.Join(log, "\n")
	for _, want := range []string{"The Lich calls its servants!", "The Lich is enraged!", "The Lich falls.", "× lich_crown"} {
		if !strings.Contains(all, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(all)
	}
	if s := &p.Engine.Stats; s.Errors.Load() != 0 {
		t.Errorf("%d script errors", s.Errors.Load())
	}
}

func starlarkString(s string) starlark.String { return starlark.String(s) }

// Same seed, same content, same inputs: the same state, tick by tick, with
// the boss's scripts spawning and changing NPCs from the world's random
// generator; another seed diverges.
func TestScriptsAreDeterministic(t *testing.T) {
	run := func(seed uint64) []uint64 {
		p, err := NewPlay(PlayConfig{Content: defaultContent(t), Zone: "crypt", Seed: seed, Bots: 5, BotX: 128, BotY: 232, BotRadius: 3})
		if err != nil {
			t.Fatal(err)
		}
		var hashes []uint64
		for i := 0; i < 700; i++ {
			p.Step()
			hashes = append(hashes, p.Zone.StateHash())
		}
		if p.Engine.Stats.Calls.Load() == 0 {
			t.Fatal("no script ran")
		}
		return hashes
	}
	a, b, c := run(5), run(5), run(6)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("tick %d: hashes %x and %x from the same seed", i+1, a[i], b[i])
		}
	}
	if a[len(a)-1] == c[len(c)-1] {
		t.Fatal("another seed gave the same state")
	}
}

// The warden's quest (the example quest): talk, bring down five wolves,
// come back; the reward's healing draught heals when used and is used up.
func TestWardenQuest(t *testing.T) {
	p, err := NewPlay(PlayConfig{Content: defaultContent(t), Seed: 1, NPCs: 0, Bots: 1, BotX: 516, BotY: 516, BotRadius: 4})
	if err != nil {
		t.Fatal(err)
	}
	bot := p.Bots[0]
	q := p.Engine.npcs.Query(&p.Zone.World.ECS)
	for q.Next() {
		if a, _, _ := q.Get(); a.Template == 50 {
			*p.Engine.pos.Get(bot) = *p.Engine.pos.Get(q.Entity()) // by the warden
		}
	}
	p.Engine.Command(bot, "talk", "")
	p.Step()
	if len(p.Host.Told) == 0 || !strings.Contains(p.Host.Told[0], "Bring down 5") {
		t.Fatalf("told %q", p.Host.Told)
	}
	for i := 0; i < 5; i++ {
		x, y, _ := p.Zone.RandomWalkable(516, 516, 4)
		if _, err := p.Zone.SpawnNPC(x, y, 1, 1); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 6000 && !strings.Contains(strings.Join(p.Host.Told, "\n"), "five wolves down"); i++ {
		p.Step()
	}
	q = p.Engine.npcs.Query(&p.Zone.World.ECS)
	for q.Next() {
		if a, _, _ := q.Get(); a.Template == 50 {
			*p.Engine.pos.Get(bot) = *p.Engine.pos.Get(q.Entity())
		}
	}
	p.Engine.Command(bot, "talk", "")
	p.Step()
	set := p.Engine.Content()
	token, draught := set.Items["warden_token"], set.Items["healing_draught"]
	if p.Host.Count(bot, token) != 1 || p.Host.Count(bot, draught) < 2 {
		t.Fatalf("after the quest: %v (told %q)", p.Host.Items[bot], p.Host.Told)
	}
	h := p.Engine.health.Get(bot)
	h.Cur = 10
	if !p.Engine.UseItem(bot, uint64(draught.ID), draught, nil) {
		t.Fatal("the draught is not usable")
	}
	before := p.Host.Count(bot, draught)
	p.Step()
	if h := p.Engine.health.Get(bot); h.Cur < 100 || p.Host.Count(bot, draught) != before-1 {
		t.Fatalf("after drinking: health %d, draughts %d (had %d)", h.Cur, p.Host.Count(bot, draught), before)
	}
	if p.Engine.UseItem(bot, uint64(token.ID), token, nil) {
		t.Fatal("a token that is not usable was used")
	}
}
