package zone

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// gatewayEar is a gateway node that keeps its players' trade results,
// inventories and parties from the zone's ticks.
type gatewayEar struct {
	mu          sync.Mutex
	results     map[uint64][]string // character → "status: text"
	inventory   map[uint64][]codec.InventoryItem
	inventories map[uint64]int // Inventory messages heard, by character
	party       map[uint64][]codec.PartyMember
	elsewhere   map[uint64][]codec.PartyElsewhere // its party's members in other zones, by character
	parties     map[uint64]int                    // Party messages heard, by character
	place       map[uint64][2]uint64              // the place (leader, joined) the last Party event carried, by character
	system      map[uint64][]string               // system messages heard, by character
}

func newGatewayEar() *gatewayEar {
	return &gatewayEar{results: map[uint64][]string{}, inventory: map[uint64][]codec.InventoryItem{}, inventories: map[uint64]int{},
		party: map[uint64][]codec.PartyMember{}, elsewhere: map[uint64][]codec.PartyElsewhere{}, parties: map[uint64]int{}, place: map[uint64][2]uint64{}, system: map[uint64][]string{}}
}

func (g *gatewayEar) HandleMessage(_ *node.Node, m node.Message) {
	var msg wire.ZoneMessage
	if codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.ZoneBodyZoneTick {
		return
	}
	var tick wire.ZoneTick
	codec.Member(msg.Body, &tick)
	var ev wire.ZonePlayerEvent
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := 0; i < tick.EventsLength(); i++ {
		tick.Events(&ev, i)
		var sm wire.ServerMessage
		if codec.DecodeServerMessage(ev.MessageBytes(), &sm) != nil {
			continue
		}
		switch sm.BodyType() {
		case wire.ServerBodyTradeResult:
			var r wire.TradeResult
			codec.Member(sm.Body, &r)
			g.results[ev.Character()] = append(g.results[ev.Character()], r.Status().String()+": "+string(r.Text()))
		case wire.ServerBodyInventory:
			var inv wire.Inventory
			codec.Member(sm.Body, &inv)
			g.inventory[ev.Character()] = codec.ReadInventory(&inv)
			g.inventories[ev.Character()]++
		case wire.ServerBodyParty:
			var p wire.Party
			codec.Member(sm.Body, &p)
			g.party[ev.Character()] = codec.ReadParty(&p)
			g.elsewhere[ev.Character()] = codec.ReadPartyElsewhere(&p)
			g.parties[ev.Character()]++
			g.place[ev.Character()] = [2]uint64{ev.PartyLeader(), ev.PartyJoined()}
		case wire.ServerBodySystemMessage:
			var m wire.SystemMessage
			codec.Member(sm.Body, &m)
			g.system[ev.Character()] = append(g.system[ev.Character()], string(m.Text()))
		}
	}
}

func (g *gatewayEar) HandlePeer(*node.Node, node.PeerEvent) {}

func (g *gatewayEar) heard(character uint64, prefix string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.results[character] {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTrades: through a real db node and zone node, an offer of an item
// that cannot be traded or is not owned is refused, one declined changes
// nothing, and one accepted swaps both sides' items in the db and in both
// players' inventories.
func TestTrades(t *testing.T) {
	ear := newGatewayEar()
	r := startRigWith(t, Config{Checkpoint: time.Hour}, ear)
	gw := r.realm
	st := r.db.Store()
	ann, bob := r.character(t, "Ann"), r.character(t, "Bob")
	pelt, _ := st.GrantItem(ann, 0, 1001, 3)  // wolf_pelt: tradable
	token, _ := st.GrantItem(ann, 0, 1200, 1) // warden_token: bound
	coin, _ := st.GrantItem(bob, 0, 1003, 5)  // bandit_coin
	for _, c := range []uint64{ann, bob} {
		if e := <-r.enter(t, c); e.Refused != "" {
			t.Fatal(e.Refused)
		}
	}
	// A gateway gets its players' events once it subscribes.
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().Subscribe([]uint32{0})}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both inventories", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return len(ear.inventory[ann]) == 2 && len(ear.inventory[bob]) == 1
	})
	enc := codec.NewZoneEncoder()
	send := func(character uint64, msg []byte) {
		t.Helper()
		if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: enc.PlayerRequest(character, msg)}); err != nil {
			t.Fatal(err)
		}
	}
	p := codec.NewPlayerEncoder()
	send(ann, p.TradeOffer(&codec.TradeOffer{To: "Bob", Give: []uint64{token.ID}}))
	waitFor(t, "the bound item refused", func() bool { return ear.heard(ann, "Failed: item") })
	send(ann, p.TradeOffer(&codec.TradeOffer{To: "Bob", Give: []uint64{coin.ID}}))
	waitFor(t, "bob's item refused as ann's", func() bool { return ear.heard(ann, "Failed: Ann has no item") })
	send(ann, p.TradeOffer(&codec.TradeOffer{To: "Nobody", Give: []uint64{pelt.ID}}))
	waitFor(t, "an unknown player refused", func() bool { return ear.heard(ann, "Failed: no one called Nobody") })

	// Offered and declined: nothing moves.
	send(ann, p.TradeOffer(&codec.TradeOffer{To: "Bob", Give: []uint64{pelt.ID}, Want: []uint64{coin.ID}}))
	waitFor(t, "the offer", func() bool { return ear.heard(ann, "Offered") })
	send(bob, p.TradeAnswer(1, false))
	waitFor(t, "the decline", func() bool { return ear.heard(ann, "Declined") && ear.heard(bob, "Declined") })
	if it, _ := st.Item(pelt.ID); it.Owner != ann {
		t.Fatal("a declined trade moved the pelt")
	}

	// Offered and accepted: both sides move, in the db and in the zone.
	send(ann, p.TradeOffer(&codec.TradeOffer{To: "bob", Give: []uint64{pelt.ID}, Want: []uint64{coin.ID}}))
	send(bob, p.TradeAnswer(2, true))
	waitFor(t, "the trade", func() bool { return ear.heard(ann, "Done") && ear.heard(bob, "Done") })
	if a, _ := st.Item(pelt.ID); a.Owner != bob {
		t.Fatalf("the pelt belongs to %d", a.Owner)
	}
	if b, _ := st.Item(coin.ID); b.Owner != ann {
		t.Fatalf("the coins belong to %d", b.Owner)
	}
	waitFor(t, "the new inventories", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		has := func(c uint64, id uint64) bool {
			for _, it := range ear.inventory[c] {
				if it.ID == id {
					return true
				}
			}
			return false
		}
		return has(ann, coin.ID) && has(ann, token.ID) && has(bob, pelt.ID) && !has(ann, pelt.ID) && !has(bob, coin.ID)
	})
	// Bob no longer has the coins to give.
	send(ann, p.TradeOffer(&codec.TradeOffer{To: "Bob", Give: []uint64{coin.ID}, Want: []uint64{coin.ID}}))
	waitFor(t, "an item bob no longer owns refused", func() bool { return ear.heard(ann, "Failed: Bob has no item") })
	// Offers waiting for an answer are capped per player.
	for i := 0; i < MaxOffersWaiting+1; i++ {
		send(ann, p.TradeOffer(&codec.TradeOffer{To: "Bob", Give: []uint64{coin.ID}}))
	}
	waitFor(t, "the offer past the cap refused", func() bool { return ear.heard(ann, "Failed: 4 of your offers wait") })
	if r, _ := st.Check(false); r.Problems() != 0 {
		t.Fatal(r.String())
	}
}
