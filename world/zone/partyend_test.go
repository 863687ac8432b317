package zone

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/wire"
)

// realmEar plays a realm node that answers party checks: it records what
// each asked, and answers the parties the test says have ended.
type realmEar struct {
	mu        sync.Mutex
	asked     [][]codec.Party
	reported  []codec.PartyMemberAt // the last check's members
	zoneName  string                // what the last check said the zone is called
	ended     []codec.Party
	elsewhere []codec.PartyMemberAt
	settling  bool
}

func (e *realmEar) HandleMessage(n *node.Node, m node.Message) {
	var msg wire.RealmMessage
	if codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.RealmBodyRealmPartyCheck {
		return
	}
	var w wire.RealmPartyCheck
	codec.Member(msg.Body, &w)
	c := codec.ReadPartyCheck(&w)
	e.mu.Lock()
	e.asked, e.reported, e.zoneName = append(e.asked, c.Parties), c.Members, c.ZoneName
	payload := codec.NewRealmEncoder().PartyAnswer(&codec.PartyAnswer{Ended: e.ended, Elsewhere: e.elsewhere, Settling: e.settling})
	e.mu.Unlock()
	n.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload})
}

func (e *realmEar) HandlePeer(*node.Node, node.PeerEvent) {}

func (e *realmEar) end(p ...codec.Party) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ended, e.asked = p, nil
}

// TestAPartyLedFromElsewhereEndsWhenTheRealmSaysSo: a zone holding members
// of parties whose leaders are in other zones asks its realm node about
// those leaders, each with the earliest join of its members here, and no
// more often than PartyCheck. A party the realm says ended for those who
// joined before a time (its leader logged in again) loses those members,
// and the rest are told the party without them; ended for all, its last
// member here is told it is in none. A party whose leader is still in the
// realm goes on.
func TestAPartyLedFromElsewhereEndsWhenTheRealmSaysSo(t *testing.T) {
	ear := &realmEar{}
	realm := nodetest.Start(t, node.Config{ID: "REALM", Secret: secret, Listen: "127.0.0.1:0", Handler: ear})
	gw := newGatewayEar()
	r := startRigWith(t, Config{Checkpoint: time.Hour, PartyCheck: 100 * time.Millisecond,
		Realm: Neighbour{Zone: "REALM", Addr: realm.Addr()}}, gw)
	const ann, eve = 777_777, 888_888 // leaders in other zones
	chars, ids := map[string]uint64{}, map[string]uint32{}
	for _, m := range []struct {
		name           string
		leader, joined uint64
	}{{"Bob", ann, 1000}, {"Cid", ann, 2000}, {"Dan", eve, 1500}} {
		chars[m.name] = r.character(t, m.name)
		e := <-r.handOff(t, chars[m.name], m.leader, m.joined)
		if e.Refused != "" {
			t.Fatal(e.Refused)
		}
		ids[m.name] = e.NetID
	}
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	party, want := partyTold(gw, chars, ids)
	waitFor(t, "the parties told", func() bool { return party("Bob") == want("Bob", "Cid") && party("Dan") == want("Dan") })
	waitFor(t, "the realm asked about both leaders, with their earliest joins here", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return len(ear.asked) > 0 && slices.Equal(ear.asked[len(ear.asked)-1], []codec.Party{{Leader: ann, JoinedUnixUs: 1000}, {Leader: eve, JoinedUnixUs: 1500}})
	})

	ear.end(codec.Party{Leader: ann, JoinedUnixUs: 1500}) // ann logged in again after Bob joined, before Cid did
	waitFor(t, "Bob out of ann's old party, Cid told the party without him", func() bool {
		return party("Bob") == "[]" && party("Cid") == want("Cid")
	})
	ear.end(codec.Party{Leader: ann, JoinedUnixUs: codec.AllMembers}) // ann left the realm
	waitFor(t, "Cid told it is in no party", func() bool { return party("Cid") == "[]" })
	ear.end(codec.Party{Leader: ann, JoinedUnixUs: codec.AllMembers}) // what was asked before is forgotten
	time.Sleep(300 * time.Millisecond)                                // three more checks
	ear.mu.Lock()
	asked := slices.Clone(ear.asked)
	ear.mu.Unlock()
	if party("Dan") != want("Dan") {
		t.Fatalf("Dan, whose leader is still in the realm, is told %s", party("Dan"))
	}
	if len(asked) == 0 || len(asked) > 5 {
		t.Fatalf("%d checks in 300 ms at most every 100 ms", len(asked))
	}
	for _, a := range asked {
		if !slices.Equal(a, []codec.Party{{Leader: eve, JoinedUnixUs: 1500}}) {
			t.Fatalf("asked %v once ann's party had ended here, want eve's alone", a)
		}
	}
}

// TestAZoneTellsItsPartiesMembersElsewhere: a zone reports its partied
// players to the realm, and tells each member here the members elsewhere
// the realm answers (the leader marked), again whenever they change: a
// party's member joining in another zone, then all of them leaving it.
func TestAZoneTellsItsPartiesMembersElsewhere(t *testing.T) {
	ear := &realmEar{}
	realm := nodetest.Start(t, node.Config{ID: "REALM", Secret: secret, Listen: "127.0.0.1:0", Handler: ear})
	gw := newGatewayEar()
	r := startRigWith(t, Config{Checkpoint: time.Hour, PartyCheck: 100 * time.Millisecond,
		Realm: Neighbour{Zone: "REALM", Addr: realm.Addr()}}, gw)
	const ann = 777_777 // the leader, in another zone
	bob := r.character(t, "Bob")
	if e := <-r.handOff(t, bob, ann, 1000); e.Refused != "" {
		t.Fatal(e.Refused)
	}
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Bob reported to the realm", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return slices.Equal(ear.reported, []codec.PartyMemberAt{{Leader: ann, Character: bob, JoinedUnixUs: 1000, Name: "Bob"}})
	})
	ear.mu.Lock()
	if ear.zoneName != "Open Fields" { // the shipped content's name for its open zone
		t.Errorf("the zone says it is called %q", ear.zoneName)
	}
	ear.mu.Unlock()
	far := func() []codec.PartyElsewhere {
		gw.mu.Lock()
		defer gw.mu.Unlock()
		return slices.Clone(gw.elsewhere[bob])
	}
	set := func(m ...codec.PartyMemberAt) {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		ear.elsewhere = m
	}
	set(codec.PartyMemberAt{Leader: ann, Character: ann, JoinedUnixUs: 900, Name: "Ann", Zone: "EAST", ZoneName: "Eastmarch"})
	waitFor(t, "Bob told Ann leads from the east", func() bool {
		return slices.Equal(far(), []codec.PartyElsewhere{{Name: "Ann", Zone: "EAST", Leads: true, ZoneName: "Eastmarch"}})
	})
	set(codec.PartyMemberAt{Leader: ann, Character: ann, JoinedUnixUs: 900, Name: "Ann", Zone: "EAST", ZoneName: "Eastmarch"},
		codec.PartyMemberAt{Leader: ann, Character: 5, JoinedUnixUs: 1100, Name: "Cid", Zone: "INSTANCE-1", ZoneName: "The Crypt"})
	waitFor(t, "Bob told Cid joined in an instance", func() bool {
		return slices.Equal(far(), []codec.PartyElsewhere{{Name: "Ann", Zone: "EAST", Leads: true, ZoneName: "Eastmarch"},
			{Name: "Cid", Zone: "INSTANCE-1", ZoneName: "The Crypt"}})
	})
	gw.mu.Lock()
	told := gw.parties[bob]
	gw.mu.Unlock()
	time.Sleep(300 * time.Millisecond) // three more checks, nothing changed
	gw.mu.Lock()
	again := gw.parties[bob]
	gw.mu.Unlock()
	if again != told {
		t.Fatalf("Bob told his party %d more times with nothing changed", again-told)
	}
	// A realm node that just restarted has not heard from the other zones
	// yet: what it says of them is not news, and Bob keeps what he was told.
	ear.mu.Lock()
	ear.elsewhere, ear.settling = nil, true
	ear.mu.Unlock()
	time.Sleep(300 * time.Millisecond) // three checks
	if got := far(); len(got) != 2 {
		t.Fatalf("Bob told %+v while the realm settles, want Ann and Cid still", got)
	}
	ear.mu.Lock()
	ear.settling = false
	ear.mu.Unlock()
	waitFor(t, "Bob told no one is elsewhere", func() bool { return len(far()) == 0 })
	gw.mu.Lock()
	here := slices.Clone(gw.party[bob])
	gw.mu.Unlock()
	if len(here) != 1 || here[0].Name != "Bob" {
		t.Fatalf("Bob's party here: %+v, want Bob alone", here)
	}
}

// TestTheRealmHasAZoneCheckItsPartiesAtOnce: a zone whose PartyCheck is an
// hour away checks its parties within a moment when its realm node says
// one of them changed in another zone (ZonePartiesChanged), and tells its
// members what it learns. Word of a party it holds no member of, or from a
// node that is not its realm, has it check nothing.
func TestTheRealmHasAZoneCheckItsPartiesAtOnce(t *testing.T) {
	ear := &realmEar{}
	realm := nodetest.Start(t, node.Config{ID: "REALM", Secret: secret, Listen: "127.0.0.1:0", Handler: ear})
	gw := newGatewayEar()
	r := startRigWith(t, Config{Checkpoint: time.Hour, PartyCheck: time.Hour,
		Realm: Neighbour{Zone: "REALM", Addr: realm.Addr()}}, gw)
	const ann, eve = 777_777, 888_888 // leaders in other zones
	bob := r.character(t, "Bob")
	if e := <-r.handOff(t, bob, ann, 1000); e.Refused != "" {
		t.Fatal(e.Refused)
	}
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	checks := func() int {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return len(ear.asked)
	}
	waitFor(t, "Bob's arrival checked at once", func() bool { return checks() == 1 })
	ear.mu.Lock()
	ear.elsewhere = []codec.PartyMemberAt{{Leader: ann, Character: ann, JoinedUnixUs: 900, Name: "Ann", Zone: "EAST"}}
	ear.mu.Unlock()

	nudge := func(from *node.Node, leaders ...uint64) {
		t.Helper()
		if err := from.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().PartiesChanged(leaders)}); err != nil {
			t.Fatal(err)
		}
	}
	realm.AddPeer("ZONE", r.zone.Node().Addr())
	waitFor(t, "the realm linked to the zone", func() bool { return realm.Connected("ZONE") })
	nudge(realm, eve)       // a party with no member here
	nudge(r.realm, ann)     // from the gateway
	time.Sleep(time.Second) // four times the wait a nudge gets
	if n := checks(); n != 1 {
		t.Fatalf("%d checks after word the zone should not act on, want 1", n)
	}
	start := time.Now()
	nudge(realm, eve, ann)
	waitFor(t, "Bob told Ann leads from the east", func() bool {
		gw.mu.Lock()
		defer gw.mu.Unlock()
		return slices.Equal(gw.elsewhere[bob], []codec.PartyElsewhere{{Name: "Ann", Zone: "EAST", Leads: true}})
	})
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the check came %v after the realm's word", took)
	}
	if n := checks(); n != 2 {
		t.Fatalf("%d checks, want 2", n)
	}
}
