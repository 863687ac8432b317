package zone

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/persist/store"
)

// TestPartiesAreToldWhole: through a real db node and zone node, every
// member of a party is told the party, whole, the leader first and then
// in the order they joined, whenever it changes; one who leaves is told it
// is in none, as is a leader left alone; and a player who comes back
// through another gateway is told its inventory and party again at its
// first input.
func TestPartiesAreToldWhole(t *testing.T) {
	ear := newGatewayEar()
	r := startRigWith(t, Config{Checkpoint: time.Hour}, ear)
	gw := r.realm
	names := []string{"Ann", "Bob", "Cid"}
	chars := map[string]uint64{}
	ids := map[string]uint32{}
	for _, n := range names {
		chars[n] = r.character(t, n)
		e := <-r.enter(t, chars[n])
		if e.Refused != "" {
			t.Fatal(e.Refused)
		}
		ids[n] = e.NetID
	}
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	enc := codec.NewZoneEncoder()
	say := func(who, text string) {
		t.Helper()
		if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: enc.Chat(chars[who], 0, "", text)}); err != nil {
			t.Fatal(err)
		}
	}
	party, want := partyTold(ear, chars, ids)
	wait := func(what string, who []string, members ...string) {
		t.Helper()
		waitFor(t, what, func() bool {
			for _, w := range who {
				if party(w) != want(members...) {
					return false
				}
			}
			return true
		})
	}
	all := []string{"Ann", "Bob", "Cid"}

	say("Bob", "/party Ann")
	wait("Bob joins Ann", []string{"Ann", "Bob"}, "Ann", "Bob")
	say("Cid", "/party bob") // a member's name finds its leader's party
	wait("Cid joins through Bob", all, "Ann", "Bob", "Cid")
	say("Bob", "/party")
	wait("Bob leaves: told none", []string{"Bob"})
	wait("the rest told", []string{"Ann", "Cid"}, "Ann", "Cid")
	say("Bob", "/party Cid")
	wait("Bob back, last", all, "Ann", "Cid", "Bob")

	// Cid comes back through another gateway (here the same one asks
	// again): told its inventory and party at its first input.
	ear.mu.Lock()
	heardParty, heardInv := ear.parties[chars["Cid"]], ear.inventories[chars["Cid"]]
	ear.mu.Unlock()
	if e := <-r.enter(t, chars["Cid"]); e.Refused != "" || e.NetID != ids["Cid"] {
		t.Fatalf("re-entered as %+v", e)
	}
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay,
		Payload: enc.Inputs([]codec.ZoneInput{{Character: chars["Cid"], Seq: 1}})}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Cid told again", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return ear.parties[chars["Cid"]] == heardParty+1 && ear.inventories[chars["Cid"]] == heardInv+1
	})
	if party("Cid") != want("Ann", "Cid", "Bob") {
		t.Fatalf("Cid was told %s", party("Cid"))
	}
	// Its new gateway asks for what it missed: the Party messages replayed
	// carry its place now, for the gateway to keep (a zone that restarts
	// is told it; world/gateway/place.go).
	ear.mu.Lock()
	ear.place[chars["Cid"]] = [2]uint64{1, 1}
	ear.mu.Unlock()
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: enc.ReplayEvents(chars["Cid"], 0)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Cid's place in the Party messages replayed", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		pl := ear.place[chars["Cid"]]
		return pl[0] == chars["Ann"] && pl[1] > 1
	})

	// The leader leaves the zone: its party goes with it.
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: enc.LeavePlayer(chars["Ann"])}); err != nil {
		t.Fatal(err)
	}
	wait("the leader gone", []string{"Bob", "Cid"})
	say("Cid", "/party Bob")
	wait("a new party", []string{"Bob", "Cid"}, "Bob", "Cid")
	heard := func() int {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return ear.parties[chars["Bob"]]
	}
	n := heard()
	say("Cid", "/party Bob") // already in it: nothing changes, no one is told
	say("Cid", "/party")     // the leader is left alone: no party either
	wait("Cid leaves Bob alone", []string{"Bob", "Cid"})
	if got := heard(); got != n+1 {
		t.Fatalf("Bob heard %d Party messages, want 1: joining a party one is in changes nothing", got-n)
	}
}

// TestAPartyComesAlongThroughAHandoff: characters handed off to a zone in
// a party are put in it there, in the order they joined whatever the
// order they arrive in, the leader first once it comes; a player there
// joins such a party through a member while its leader is elsewhere; a
// party whose leader is in the zone in no party has ended, and an arrival
// of it joins none (and is told so); a leader who comes in alone and joins
// its party through a member leads it, listed first. Each Party event
// carries its member's place for the gateway to keep (a zone restarted
// takes it back the same way).
func TestAPartyComesAlongThroughAHandoff(t *testing.T) {
	ear := newGatewayEar()
	r := startRigWith(t, Config{Checkpoint: time.Hour}, ear)
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	chars, ids := map[string]uint64{}, map[string]uint32{}
	arrive := func(name string, leader string, joined uint64) {
		t.Helper()
		if chars[name] == 0 {
			chars[name] = r.character(t, name)
		}
		e := <-r.handOff(t, chars[name], chars[leader], joined)
		if e.Refused != "" {
			t.Fatal(e.Refused)
		}
		ids[name] = e.NetID
	}
	placed := func(who, leader string, joined uint64) {
		t.Helper()
		ear.mu.Lock()
		defer ear.mu.Unlock()
		if got, want := ear.place[chars[who]], [2]uint64{chars[leader], joined}; got != want {
			t.Errorf("%s's place told its gateway: %v, want %v", who, got, want)
		}
	}
	told := func(who string, members ...string) {
		t.Helper()
		want := make([]codec.PartyMember, 0, len(members))
		for _, n := range members {
			want = append(want, codec.PartyMember{ID: ids[n], Name: n})
		}
		waitFor(t, who+" told "+fmt.Sprint(members), func() bool {
			ear.mu.Lock()
			defer ear.mu.Unlock()
			return fmt.Sprint(ear.party[chars[who]]) == fmt.Sprint(want)
		})
	}
	chars["Ann"] = r.character(t, "Ann") // the leader, still in the zone it came from
	arrive("Cid", "Ann", 300)
	told("Cid", "Cid")
	arrive("Bob", "Ann", 200) // joined before Cid: listed before it
	told("Cid", "Bob", "Cid")
	told("Bob", "Bob", "Cid")
	placed("Cid", "Ann", 300)
	placed("Bob", "Ann", 200)
	// Eve, in the zone, joins the party through Cid while its leader is
	// elsewhere, and asks again.
	chars["Eve"] = r.character(t, "Eve")
	e := <-r.enter(t, chars["Eve"])
	if e.Refused != "" {
		t.Fatal(e.Refused)
	}
	ids["Eve"] = e.NetID
	for range 2 {
		if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: codec.NewZoneEncoder().Chat(chars["Eve"], 0, "", "/party cid")}); err != nil {
			t.Fatal(err)
		}
	}
	told("Eve", "Bob", "Cid", "Eve")
	waitFor(t, "Eve told she is in the party already", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		heard := ear.system[chars["Eve"]]
		return len(heard) == 2 && heard[1] == "You are in Cid's party already."
	})
	arrive("Ann", "Ann", 100)
	for _, n := range []string{"Ann", "Bob", "Cid", "Eve"} {
		told(n, "Ann", "Bob", "Cid", "Eve")
	}
	placed("Ann", "Ann", 100)
	placed("Cid", "Ann", 300)
	// Ann leaves her party here: it ends, and one of it arriving later
	// joins none.
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: codec.NewZoneEncoder().Chat(chars["Ann"], 0, "", "/party")}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Ann", "Bob", "Cid", "Eve"} {
		told(n)
		placed(n, "", 0)
	}
	arrive("Dee", "Ann", 400)
	waitFor(t, "Dee told she is in no party", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return ear.parties[chars["Dee"]] == 1
	})
	time.Sleep(200 * time.Millisecond)
	ear.mu.Lock()
	dee, ann := ear.party[chars["Dee"]], ear.party[chars["Ann"]]
	ear.mu.Unlock()
	if len(dee) != 0 || len(ann) != 0 {
		t.Fatalf("an arrival joined a party that has ended: Dee told %v, Ann %v", dee, ann)
	}
	placed("Dee", "", 0)
	// Zed's party arrives without him; he comes in by himself (a login,
	// in no party) and joins it through a member: he leads it, listed
	// first though he took his place last.
	chars["Zed"] = r.character(t, "Zed")
	arrive("Fay", "Zed", 500)
	arrive("Gus", "Zed", 600)
	e = <-r.enter(t, chars["Zed"])
	if e.Refused != "" {
		t.Fatal(e.Refused)
	}
	ids["Zed"] = e.NetID
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: codec.NewZoneEncoder().Chat(chars["Zed"], 0, "", "/party Gus")}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Zed", "Fay", "Gus"} {
		told(n, "Zed", "Fay", "Gus")
	}
}

// TestAPartyPlaceIsSavedAndReadBack: a character's place in its party is
// saved in the db as soon as it changes (the zone's periodic checkpoint
// is an hour away here), and cleared when it leaves its party or the
// realm; a character entered without a place (its gateway restarted with
// its zone, and the next cannot know it) is put back in the party the db
// says.
func TestAPartyPlaceIsSavedAndReadBack(t *testing.T) {
	ear := newGatewayEar()
	r := startRigWith(t, Config{Checkpoint: time.Hour}, ear)
	gw := r.realm
	chars, ids := map[string]uint64{}, map[string]uint32{}
	for _, n := range []string{"Ann", "Bob", "Cid"} {
		chars[n] = r.character(t, n)
	}
	for _, n := range []string{"Ann", "Bob"} {
		e := <-r.enter(t, chars[n])
		if e.Refused != "" {
			t.Fatal(e.Refused)
		}
		ids[n] = e.NetID
	}
	enc := codec.NewZoneEncoder()
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: enc.Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	say := func(who, text string) {
		t.Helper()
		if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: enc.Chat(chars[who], 0, "", text)}); err != nil {
			t.Fatal(err)
		}
	}
	saved := func(who string) [2]uint64 {
		c, err := r.db.Store().Character(chars[who])
		if err != nil {
			t.Fatal(err)
		}
		return [2]uint64{c.PartyLeader, c.PartyJoined}
	}
	say("Bob", "/party Ann")
	waitFor(t, "both places saved", func() bool {
		return saved("Ann")[0] == chars["Ann"] && saved("Bob")[0] == chars["Ann"] && saved("Bob")[1] > saved("Ann")[1]
	})

	// Cid was in Ann's party, after Bob, when its zone and gateway died
	// together: the db has its place, the gateway that brings it back
	// none.
	epoch, err := r.db.Store().ClaimCharacter(chars["Cid"], "ZONE")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.Store().SaveCheckpoint(store.Checkpoint{ID: chars["Cid"], Epoch: epoch, Zone: "ZONE", X: 10, Y: 10,
		PartyLeader: chars["Ann"], PartyJoined: saved("Bob")[1] + 1}); err != nil {
		t.Fatal(err)
	}
	e := <-r.enter(t, chars["Cid"])
	if e.Refused != "" {
		t.Fatal(e.Refused)
	}
	ids["Cid"] = e.NetID
	want := fmt.Sprint([]codec.PartyMember{{ID: ids["Ann"], Name: "Ann"}, {ID: ids["Bob"], Name: "Bob"}, {ID: ids["Cid"], Name: "Cid"}})
	waitFor(t, "Cid back in Ann's party, last", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return fmt.Sprint(ear.party[chars["Cid"]]) == want && fmt.Sprint(ear.party[chars["Ann"]]) == want
	})

	// Leaving the party, and leaving the realm, are saved as none.
	say("Cid", "/party")
	waitFor(t, "Cid's leaving saved", func() bool { return saved("Cid") == [2]uint64{} })
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: enc.LeavePlayer(chars["Bob"])}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Bob's logout saved, and Ann's party ended", func() bool {
		return saved("Bob") == [2]uint64{} && saved("Ann") == [2]uint64{}
	})
}

// partyTold returns what a character (by name) last heard of its party,
// and what it hears of a party of the named members, to compare them.
func partyTold(ear *gatewayEar, chars map[string]uint64, ids map[string]uint32) (told func(who string) string, want func(members ...string) string) {
	told = func(who string) string {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return fmt.Sprint(ear.party[chars[who]])
	}
	want = func(members ...string) string {
		m := make([]codec.PartyMember, 0, len(members))
		for _, n := range members {
			m = append(m, codec.PartyMember{ID: ids[n], Name: n})
		}
		return fmt.Sprint(m)
	}
	return told, want
}

// enterThrough asks the zone, from node gw, to take a character as the
// realm node does for a resume (login false) or a login, moved by gw.
func enterThrough(t *testing.T, gw *node.Node, character uint64, login bool) codec.PlayerEntered {
	t.Helper()
	out := make(chan codec.PlayerEntered, 1)
	payload := codec.NewZoneEncoder().EnterPlayer(character, gw.ID(), login)
	err := gw.Ask("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: payload}, 5*time.Second, func(m node.Message, err error) {
		pe, derr := codec.DecodePlayerEntered(m.Payload)
		if err == nil {
			err = derr
		}
		if err != nil {
			pe.Refused = err.Error()
		}
		out <- pe
	})
	if err != nil {
		t.Fatal(err)
	}
	pe := <-out
	if pe.Refused != "" {
		t.Fatal(pe.Refused)
	}
	return pe
}

// TestAPlayerAwayKeepsItsPlaceInItsParty: when a gateway is gone past its
// grace, the zone lets its players go but keeps them in their party while
// they are away (and the members left are told the party without them):
// back through another gateway, resuming (no place said), each is in it
// again, in its place. One who logs in afresh instead starts in none, and
// its record then says so.
func TestAPlayerAwayKeepsItsPlaceInItsParty(t *testing.T) {
	r := startRigWith(t, Config{Checkpoint: time.Hour, GatewayGrace: 100 * time.Millisecond}, newGatewayEar())
	chars := map[string]uint64{}
	for _, n := range []string{"Ann", "Bob", "Cid"} {
		chars[n] = r.character(t, n)
		if e := <-r.enter(t, chars[n]); e.Refused != "" {
			t.Fatal(e.Refused)
		}
	}
	enc := codec.NewZoneEncoder()
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: enc.Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Bob", "Cid"} {
		if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: enc.Chat(chars[n], 0, "", "/party Ann")}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the three in Ann's party, saved", func() bool {
		c, err := r.db.Store().Character(chars["Cid"])
		return err == nil && c.PartyLeader == chars["Ann"]
	})
	// The gateway goes, and stays gone past its grace: all three away.
	r.realm.Stop()
	time.Sleep(time.Second)

	ear := newGatewayEar()
	gw := nodetest.Start(t, node.Config{ID: "GW2", Secret: secret, Handler: ear, Peers: []node.Peer{{ID: "ZONE", Addr: r.zone.Node().Addr()}}})
	ids := map[string]uint32{}
	for _, n := range []string{"Ann", "Bob"} {
		ids[n] = enterThrough(t, gw, chars[n], false).NetID
	}
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: enc.Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]codec.PartyMember{{ID: ids["Ann"], Name: "Ann"}, {ID: ids["Bob"], Name: "Bob"}})
	party := func(who string) string {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return fmt.Sprint(ear.party[chars[who]])
	}
	waitFor(t, "Ann and Bob back in Ann's party", func() bool { return party("Ann") == want && party("Bob") == want })

	enterThrough(t, gw, chars["Cid"], true) // a login
	time.Sleep(300 * time.Millisecond)      // Cid would be told within a tick or two
	if party("Ann") != want || party("Cid") != "[]" {
		t.Fatalf("after Cid logged in afresh, Ann is told %s and Cid %s: want Ann's party without Cid", party("Ann"), party("Cid"))
	}
	waitFor(t, "Cid's record in no party", func() bool {
		c, err := r.db.Store().Character(chars["Cid"])
		return err == nil && c.PartyLeader == 0
	})
}
