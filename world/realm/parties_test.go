package realm

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/wire"
	dto "github.com/prometheus/client_model/go"
)

// partyCheck asks the realm, as a zone does, which of these parties have
// ended, and returns the answer's ended parties.
func partyCheck(t *testing.T, from *node.Node, parties ...codec.Party) []codec.Party {
	t.Helper()
	ended := partyAsk(t, from, codec.PartyCheck{Parties: parties}).Ended
	slices.SortFunc(ended, func(a, b codec.Party) int { return cmp.Compare(a.Leader, b.Leader) })
	return ended
}

// partyAsk sends a RealmPartyCheck from a node, as a zone does, and waits
// for the answer.
func partyAsk(t *testing.T, from *node.Node, c codec.PartyCheck) codec.PartyAnswer {
	t.Helper()
	out := make(chan *codec.PartyAnswer, 1)
	err := from.Ask("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PartyCheck(&c)}, 10*time.Second,
		func(m node.Message, err error) {
			var msg wire.RealmMessage
			if err != nil || codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.RealmBodyRealmPartyAnswer {
				out <- nil
				return
			}
			var w wire.RealmPartyAnswer
			codec.Member(msg.Body, &w)
			a := codec.ReadPartyAnswer(&w)
			out <- &a
		})
	if err != nil {
		t.Fatal(err)
	}
	a := <-out
	if a == nil {
		t.Fatal("no answer to a party check")
	}
	return *a
}

// TestAPartyEndsWhenItsLeaderLeavesTheRealm: the realm tells a zone which
// parties, led from elsewhere, have ended: a leader who logged out at
// once; one whose gateway went away only once it could no longer have
// resumed (its zone keeps it away as long); one who logged in again since
// the party was joined; and one it has never heard of only after it has
// been up long enough to have heard of every player. A leader still in
// its session leads its party.
func TestAPartyEndsWhenItsLeaderLeavesTheRealm(t *testing.T) {
	start := time.Now()
	clock := ecs.NewManualClock(start)
	r := startRig(t, clock, func(c *Config) { c.GatewayGrace = 100 * time.Millisecond })
	joined := func(d time.Duration) uint64 { return uint64(start.Add(d).UnixMicro()) }
	ann := r.connect(t, r.session(t, "ann", start.Add(time.Hour))).Entered.Character
	const stranger = 999_999
	if got := partyCheck(t, r.peer, codec.Party{Leader: ann, JoinedUnixUs: joined(time.Second)},
		codec.Party{Leader: stranger, JoinedUnixUs: joined(time.Second)}); len(got) != 0 {
		t.Fatalf("parties ended while their leaders are in the realm or it cannot know yet: %v", got)
	}

	// ann logs out: its party has ended, at once.
	r.peer.Send("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PlayerLeft(ann)})
	if got := partyCheck(t, r.peer, codec.Party{Leader: ann, JoinedUnixUs: joined(time.Second)}); !slices.Equal(got, []codec.Party{{Leader: ann, JoinedUnixUs: codec.AllMembers}}) {
		t.Fatalf("ann logged out: ended %v, want ann's party", got)
	}

	// bob plays through a gateway that dies: bob may resume within
	// ResumeTTL, and its party lives until then.
	gw2 := nodetest.Start(t, node.Config{ID: "GW2", Secret: secret, Peers: []node.Peer{{ID: "REALM", Addr: r.realm.Node().Addr()}}})
	h := r.session(t, "bob", start.Add(time.Hour))
	bob := (&rig{realm: r.realm, peer: gw2}).connect(t, h).Entered.Character
	if bob == 0 {
		t.Fatal("bob not placed")
	}
	gw2.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.realm.Directory()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if d := r.realm.Directory(); len(d) != 0 {
		t.Fatalf("bob's gateway gone, the directory still holds %+v", d)
	}
	bobs := codec.Party{Leader: bob, JoinedUnixUs: joined(time.Second)}
	if got := partyCheck(t, r.peer, bobs); len(got) != 0 {
		t.Fatalf("bob away, within ResumeTTL: ended %v", got)
	}
	clock.Advance(DefaultResumeTTL + time.Second)
	if got := partyCheck(t, r.peer, bobs, codec.Party{Leader: stranger, JoinedUnixUs: joined(time.Second)}); !slices.Equal(got, []codec.Party{{Leader: bob, JoinedUnixUs: codec.AllMembers}, {Leader: stranger, JoinedUnixUs: codec.AllMembers}}) {
		t.Fatalf("bob away past ResumeTTL, a stranger long after the start: ended %v, want both", got)
	}

	// ann logs in again: the party joined in its last session has ended,
	// one joined since has not.
	again := r.connect(t, r.session(t, "ann", start.Add(time.Hour)))
	if again.Entered.Character != ann {
		t.Fatalf("ann's login again placed character %d, want %d", again.Entered.Character, ann)
	}
	now := clock.Now().Sub(start)
	login := uint64(clock.Now().Add(-partyClockSkew).UnixMicro())
	if got := partyCheck(t, r.peer, codec.Party{Leader: ann, JoinedUnixUs: joined(time.Second)}); !slices.Equal(got, []codec.Party{{Leader: ann, JoinedUnixUs: login}}) {
		t.Fatalf("ann in a new session, its old party: ended %v, want it for those who joined before the login", got)
	}
	if got := partyCheck(t, r.peer, codec.Party{Leader: ann, JoinedUnixUs: joined(now + time.Second)}); len(got) != 0 {
		t.Fatalf("ann in a new session, a party joined since: ended %v", got)
	}
}

// TestTheRealmKeepsEachPartysRoster: zones report their partied players,
// and each is told the members of its parties in the other zones, the
// leader first: a member reported by two zones (it moved) is where the
// newer report has it, one that left the realm is left out, and a zone
// silent past rosterFresh is forgotten. A node told of players partied
// before it started says it is settling until rosterFresh has passed.
func TestTheRealmKeepsEachPartysRoster(t *testing.T) {
	clock := ecs.NewManualClock(time.Now())
	r := startRig(t, clock)
	chars := map[string]uint64{}
	for _, n := range []string{"ann", "bob", "cid"} {
		chars[n] = r.connect(t, r.session(t, n, time.Now().Add(time.Hour))).Entered.Character
	}
	west := nodetest.Start(t, node.Config{ID: "WEST", Secret: secret, Peers: []node.Peer{{ID: "REALM", Addr: r.realm.Node().Addr()}}})
	east := nodetest.Start(t, node.Config{ID: "EAST", Secret: secret, Peers: []node.Peer{{ID: "REALM", Addr: r.realm.Node().Addr()}}})
	ann := chars["ann"]
	member := func(n string, joined uint64) codec.PartyMemberAt {
		return codec.PartyMemberAt{Leader: ann, Character: chars[n], JoinedUnixUs: joined, Name: n}
	}
	// The west says what it is called; the east does not, and is called
	// by its id.
	at := func(m codec.PartyMemberAt, zone string) codec.PartyMemberAt {
		m.Zone, m.ZoneName = zone, map[string]string{"WEST": "Westfall", "EAST": "EAST"}[zone]
		return m
	}
	t0 := uint64(clock.Now().UnixMicro())
	a, b, c := member("ann", t0+1), member("bob", t0+2), member("cid", t0+3)

	if first := partyAsk(t, west, codec.PartyCheck{Members: []codec.PartyMemberAt{c, a}, ZoneName: "Westfall"}); first.Settling {
		t.Fatal("a realm node that placed every partied player itself says it is settling")
	}
	// A zone reports a partied character this node never placed: it
	// restarted, and has not heard from every zone yet.
	const partiedBefore = 424_242
	if got := partyAsk(t, east, codec.PartyCheck{Members: []codec.PartyMemberAt{{Leader: partiedBefore, Character: partiedBefore, JoinedUnixUs: t0, Name: "dan"}}}); !got.Settling {
		t.Fatal("a realm node up for less than rosterFresh, told of players partied before it started, does not say it is settling")
	}
	got := partyAsk(t, east, codec.PartyCheck{Members: []codec.PartyMemberAt{b}, Parties: []codec.Party{{Leader: ann, JoinedUnixUs: t0 + 2}}})
	if want := []codec.PartyMemberAt{at(a, "WEST"), at(c, "WEST")}; !slices.Equal(got.Elsewhere, want) || len(got.Ended) != 0 {
		t.Fatalf("east told %+v, want %+v and nothing ended", got, want)
	}
	if got := partyAsk(t, west, codec.PartyCheck{Members: []codec.PartyMemberAt{a, c}, ZoneName: "Westfall"}); !slices.Equal(got.Elsewhere, []codec.PartyMemberAt{at(b, "EAST")}) {
		t.Fatalf("west told %+v, want bob in the east", got.Elsewhere)
	}

	// cid walks east: the east's report is newer than the west's last.
	clock.Advance(time.Second)
	if got := partyAsk(t, east, codec.PartyCheck{Members: []codec.PartyMemberAt{b, c}}); !slices.Equal(got.Elsewhere, []codec.PartyMemberAt{at(a, "WEST")}) {
		t.Fatalf("east, cid arrived: told %+v, want ann alone in the west", got.Elsewhere)
	}
	// bob logs out; the east has not reported since.
	r.peer.Send("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PlayerLeft(chars["bob"])})
	for deadline := time.Now().Add(5 * time.Second); len(r.realm.Directory()) != 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // the logout comes on another link than the check
	}
	if got := partyAsk(t, west, codec.PartyCheck{Members: []codec.PartyMemberAt{a}, ZoneName: "Westfall"}); !slices.Equal(got.Elsewhere, []codec.PartyMemberAt{at(c, "EAST")}) {
		t.Fatalf("west, bob gone and cid east: told %+v, want cid in the east", got.Elsewhere)
	}
	// The east falls silent.
	clock.Advance(rosterFresh + time.Second)
	if got := partyAsk(t, west, codec.PartyCheck{Members: []codec.PartyMemberAt{a}, ZoneName: "Westfall"}); len(got.Elsewhere) != 0 || got.Settling {
		t.Fatalf("west, the east silent for %v: told %+v", rosterFresh, got)
	}
}

// nudgeEar records the ZonePartiesChanged a zone is sent.
type nudgeEar struct{ told chan []uint64 }

func (e nudgeEar) HandleMessage(_ *node.Node, m node.Message) {
	var msg wire.ZoneMessage
	if codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.ZoneBodyZonePartiesChanged {
		return
	}
	var w wire.ZonePartiesChanged
	codec.Member(msg.Body, &w)
	e.told <- codec.ReadPartiesChanged(&w)
}

func (nudgeEar) HandlePeer(*node.Node, node.PeerEvent) {}

// TestTheRealmTellsZonesTheirPartiesChanged: a zone's report that changes
// who of a party is there has the realm node tell each other zone holding
// members of that party (and only of that party) that it changed, once
// until that zone reports again; a report that changes nothing, or a
// party no other zone holds, tells no one.
func TestTheRealmTellsZonesTheirPartiesChanged(t *testing.T) {
	clock := ecs.NewManualClock(time.Now())
	r := startRig(t, clock)
	chars := map[string]uint64{}
	for _, n := range []string{"ann", "bob", "cid", "dan", "eve"} {
		chars[n] = r.connect(t, r.session(t, n, time.Now().Add(time.Hour))).Entered.Character
	}
	zones := map[string]nudgeEar{}
	nodes := map[string]*node.Node{}
	for _, z := range []string{"WEST", "EAST", "NORTH"} {
		zones[z] = nudgeEar{told: make(chan []uint64, 16)}
		nodes[z] = nodetest.Start(t, node.Config{ID: z, Secret: secret, Handler: zones[z], Peers: []node.Peer{{ID: "REALM", Addr: r.realm.Node().Addr()}}})
	}
	ann, dan := chars["ann"], chars["dan"]
	member := func(leader uint64, n string) codec.PartyMemberAt {
		return codec.PartyMemberAt{Leader: leader, Character: chars[n], JoinedUnixUs: uint64(len(n)), Name: n}
	}
	a, b, c, d, e := member(ann, "ann"), member(ann, "bob"), member(ann, "cid"), member(dan, "dan"), member(dan, "eve")
	report := func(zone string, m ...codec.PartyMemberAt) {
		t.Helper()
		clock.Advance(time.Millisecond)
		partyAsk(t, nodes[zone], codec.PartyCheck{Members: m})
	}
	told := func(zone string, want ...uint64) {
		t.Helper()
		if len(want) == 0 {
			select {
			case got := <-zones[zone].told:
				t.Fatalf("%s told %v changed, want nothing", zone, got)
			case <-time.After(200 * time.Millisecond):
			}
			return
		}
		select {
		case got := <-zones[zone].told:
			if !slices.Equal(got, want) {
				t.Fatalf("%s told %v changed, want %v", zone, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s not told %v changed", zone, want)
		}
	}

	report("WEST", a, c)
	report("NORTH", d)
	report("EAST", b, e) // bob and eve arrive in the east
	told("WEST", ann)
	told("NORTH", dan)
	report("EAST", b, e) // nothing changed
	report("WEST", a, c) // the west and the north check: nothing changed there
	report("NORTH", d)
	told("EAST")
	told("WEST")
	told("NORTH")
	report("EAST", b, c, e) // cid arrives in the east: the west is told,
	told("WEST", ann)
	report("EAST", b) // eve leaves: the north is told, not the west again before it reports
	told("NORTH", dan)
	told("WEST")
	report("WEST", a) // cid's leaving the west: told to the east
	told("EAST", ann)
	told("NORTH")
	clock.Advance(rosterFresh) // the west falls silent
	report("EAST", b, c)
	told("WEST")
	var m dto.Metric
	if r.realm.nudges.Write(&m); m.GetCounter().GetValue() != 5 {
		t.Fatalf("party_nudges_total %v, want 5", m.GetCounter().GetValue())
	}
}
