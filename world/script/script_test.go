package script

import (
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
