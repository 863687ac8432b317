package gateway

import (
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
)

// TestRedirectGoesToTheLeastLoadedOnce: a first attempt goes to the least
// loaded sibling, whose count goes up at once; a player already redirected
// stays, however stale the figures, so two gateways cannot bounce it.
func TestRedirectGoesToTheLeastLoadedOnce(t *testing.T) {
	g := &Node{clock: ecs.RealClock{}, players: map[playerKey]*player{}, connecting: 5, loads: map[string]*siblingLoad{
		"B": {players: 3, public: "b:1", at: time.Now()},
		"C": {players: 1, public: "c:1", at: time.Now()},
		"D": {players: 0, public: "d:1", at: time.Now().Add(-2 * time.Second)}, // stale: ignored
	}}
	if to := g.redirect(true); to != "c:1" {
		t.Fatalf("first attempt went to %q, want the least loaded fresh sibling c:1", to)
	}
	if g.loads["C"].players != 2 || g.connecting != 5 {
		t.Fatalf("sibling count %d (want 2), connecting %d (want 5)", g.loads["C"].players, g.connecting)
	}
	if to := g.redirect(false); to != "" {
		t.Fatalf("a redirected player was redirected again, to %q", to)
	}
	if g.connecting != 6 {
		t.Fatalf("the kept player is not counted as connecting: %d", g.connecting)
	}
	g.connecting = 0
	if to := g.redirect(true); to != "" {
		t.Fatalf("the least loaded gateway redirected to %q", to)
	}
}
