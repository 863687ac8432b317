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
	mu    sync.Mutex
	asked [][]codec.Party
	ended []codec.Party
}

func (e *realmEar) HandleMessage(n *node.Node, m node.Message) {
	var msg wire.RealmMessage
	if codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.RealmBodyRealmPartyCheck {
		return
	}
	var w wire.RealmPartyCheck
	codec.Member(msg.Body, &w)
	e.mu.Lock()
	e.asked = append(e.asked, codec.ReadParties(&w))
	payload := codec.NewRealmEncoder().PartiesEnded(e.ended)
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
