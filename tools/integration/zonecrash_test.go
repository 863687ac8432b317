package integration

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
)

// TestZoneCrashPlayersStay: the open zone's process is SIGKILLed while
// bots play, and the reviver starts it again. No bot is
// disconnected: its gateway enters it again in the new incarnation (loaded
// from its last checkpoint, claimed with a new epoch), tells it its new
// entity, and its view converges with the zone again. The bots' parties
// (two, and two bots in none) are theirs again in the new incarnation, in
// the order they were, though it came up knowing none of them.
func TestZoneCrashPlayersStay(t *testing.T) {
	const bots = 6
	r := startDevRealm(t, upBase(800), bots)
	var conns []*client.Conn
	for i := 0; i < bots; i++ {
		conns = append(conns, r.bot(t, i))
	}
	where := selfAt
	waitUntil(t, "every bot to see itself", 10*time.Second, func() bool {
		for _, c := range conns {
			if _, _, ok := where(c); !ok {
				return false
			}
		}
		return true
	})
	// Parties: bot0 leads bot1 and bot2 (joined in that order), bot3 leads
	// bot4; bot5 is in none.
	parties := [][]int{{0, 2, 1}, {3, 4}}
	for _, party := range parties {
		for _, m := range party[1:] {
			if err := conns[m].Chat(codec.ChatSay, "", fmt.Sprintf("/party bot%d", party[0])); err != nil {
				t.Fatal(err)
			}
			// One at a time: the order they joined is the order told.
			waitUntil(t, "the bot in its party", 5*time.Second, func() bool { return slices.ContainsFunc(conns[m].Party(), named(m)) })
		}
	}
	toldParties := func(what string) {
		t.Helper()
		for _, party := range parties {
			for _, m := range party {
				waitUntil(t, fmt.Sprintf("%s: bot%d told bots %v", what, m, party), 10*time.Second, func() bool { return partyIs(conns[m].Party(), party) })
			}
		}
		if got := conns[5].Party(); len(got) != 0 {
			t.Errorf("bot5 joined no party and is told %v", got)
		}
	}
	toldParties("each party told to its members")
	before := make([][2]float64, bots)
	for i, c := range conns {
		x, y, _ := where(c)
		before[i] = [2]float64{x, y}
	}
	r.kill(t, "DEV-ZONE-1") // the reviver starts it again
	waitUntil(t, "every bot to be back in the restarted zone", 15*time.Second, func() bool {
		for _, c := range conns {
			if c.Counters().Rewelcomes != 1 {
				return false
			}
			if _, _, ok := where(c); !ok {
				return false
			}
		}
		return true
	})
	for i, c := range conns {
		st := c.Counters()
		if st.Reconnects != 0 || c.Err() != nil {
			t.Errorf("bot %d: reconnected %d times, err %v: a zone crash must not disconnect", i, st.Reconnects, c.Err())
		}
		// The bots stood still: back where they were (their character's
		// checkpoint is where they entered).
		x, y, _ := where(c)
		if d := math.Hypot(x-before[i][0], y-before[i][1]); d > 1 {
			t.Errorf("bot %d: back at (%.1f, %.1f), was at (%.1f, %.1f)", i, x, y, before[i][0], before[i][1])
		}
	}
	if n := r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players"); n != bots {
		t.Fatalf("the restarted zone holds %v players, want %d", n, bots)
	}
	toldParties("each party back after the zone's crash")
}

// named matches a party member named as bot i.
func named(i int) func(codec.PartyMember) bool {
	return func(m codec.PartyMember) bool { return m.Name == fmt.Sprintf("bot%d", i) }
}

// partyIs reports whether a party told is the bots of want, in that order
// (the leader first, then in the order they joined).
func partyIs(got []codec.PartyMember, want []int) bool {
	if len(got) != len(want) {
		return false
	}
	for i, m := range got {
		if !named(want[i])(m) {
			return false
		}
	}
	return true
}
