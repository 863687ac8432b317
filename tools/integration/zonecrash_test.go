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
	r, conns := partiedBots(t, upBase(800))
	where := selfAt
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
	toldParties(t, conns, botParties, "each party back after the zone's crash")
}

// TestZoneAndGatewaysCrashTogether: the open zone and both gateways are
// SIGKILLed at once while six bots in two parties play. Nothing that knew
// the parties is left but the db: every bot comes back (through a
// restarted gateway, resuming its session) into the restarted zone, and
// each party is its members' again, in the order they joined, from the
// places the zone saved as they changed.
func TestZoneAndGatewaysCrashTogether(t *testing.T) {
	const bots = 6
	r, conns := partiedBots(t, upBase(570))
	killed := time.Now()
	for _, id := range []string{"DEV-ZONE-1", "DEV-GATEWAY-1", "DEV-GATEWAY-2"} {
		r.kill(t, id)
	}
	waitUntil(t, "every bot back", 30*time.Second, func() bool {
		for _, c := range conns {
			if _, _, ok := selfAt(c); !ok || c.Counters().Reconnects == 0 || c.Err() != nil {
				return false
			}
		}
		return true
	})
	t.Logf("every bot back %v after the kills", time.Since(killed).Round(time.Millisecond))
	toldParties(t, conns, botParties, "each party back after the zone and its gateways crashed")
	if n := r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players"); n != bots {
		t.Fatalf("the restarted zone holds %v players, want %d", n, bots)
	}
}

// TestAGatewayCrashKeepsParties: one gateway is SIGKILLed while six bots
// in two parties play through both. Its bots come back through a gateway
// with their sessions; the zone let them go when the dead gateway's new
// incarnation came up (or after its grace), and takes them back: each
// party is its members' again, whole and in the order they joined, the
// other gateway's bots included.
func TestAGatewayCrashKeepsParties(t *testing.T) {
	r, conns := partiedBots(t, upBase(575))
	victim := r.entry("DEV-GATEWAY-1").Public
	var onVictim []*client.Conn
	for _, c := range conns {
		if c.Gateway() == victim {
			onVictim = append(onVictim, c)
		}
	}
	if len(onVictim) == 0 || len(onVictim) == len(conns) {
		t.Fatalf("%d of %d bots on the victim: the gateways did not share them", len(onVictim), len(conns))
	}
	r.kill(t, "DEV-GATEWAY-1")
	waitUntil(t, "the victim's bots back", 30*time.Second, func() bool {
		for _, c := range onVictim {
			if _, _, ok := selfAt(c); !ok || c.Counters().Reconnects == 0 || c.Err() != nil {
				return false
			}
		}
		return true
	})
	toldParties(t, conns, botParties, "each party back after a gateway crashed")
}

// botParties are the parties of the crash tests' six bots: bot0 leads bot2
// and bot1 (joined in that order), bot3 leads bot4; bot5 is in none.
var botParties = [][]int{{0, 2, 1}, {3, 4}}

// partiedBots starts a dev realm on base with six bots, each seeing
// itself, in botParties.
func partiedBots(t *testing.T, base int) (*devRealm, []*client.Conn) {
	t.Helper()
	const bots = 6
	r := startDevRealm(t, base, bots)
	var conns []*client.Conn
	for i := 0; i < bots; i++ {
		conns = append(conns, r.bot(t, i))
	}
	waitUntil(t, "every bot to see itself", 10*time.Second, func() bool {
		for _, c := range conns {
			if _, _, ok := selfAt(c); !ok {
				return false
			}
		}
		return true
	})
	formParties(t, conns, botParties)
	toldParties(t, conns, botParties, "each party told to its members")
	return r, conns
}

// formParties has the bots join their parties (a party's leader first),
// one at a time: the order they joined is the order told.
func formParties(t *testing.T, conns []*client.Conn, parties [][]int) {
	t.Helper()
	for _, party := range parties {
		for _, m := range party[1:] {
			if err := conns[m].Chat(codec.ChatSay, "", fmt.Sprintf("/party bot%d", party[0])); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the bot in its party", 5*time.Second, func() bool { return slices.ContainsFunc(conns[m].Party(), named(m)) })
		}
	}
}

// toldParties waits until every bot of parties is told its party, whole
// and in order, and checks that bot5 is told none.
func toldParties(t *testing.T, conns []*client.Conn, parties [][]int, what string) {
	t.Helper()
	defer func() {
		if t.Failed() {
			for i, c := range conns {
				t.Logf("bot%d: told %v, %+v", i, c.Party(), c.Counters())
			}
		}
	}()
	for _, party := range parties {
		for _, m := range party {
			waitUntil(t, fmt.Sprintf("%s: bot%d told bots %v", what, m, party), 10*time.Second, func() bool { return partyIs(conns[m].Party(), party) })
		}
	}
	if got := conns[5].Party(); len(got) != 0 {
		t.Errorf("bot5 joined no party and is told %v", got)
	}
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
