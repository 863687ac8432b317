package gateway

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// tickOf decodes a zone tick carrying events.
func tickOf(t *testing.T, events ...codec.PlayerEvent) *wire.ZoneTick {
	t.Helper()
	var msg wire.ZoneMessage
	var tick wire.ZoneTick
	if err := codec.DecodeZoneMessage(codec.NewZoneEncoder().Tick(1, 0, nil, nil, events), 1<<20, &msg); err != nil {
		t.Fatal(err)
	}
	codec.Member(msg.Body, &tick)
	return &tick
}

// queued lists the bodies of the messages queued for a player.
func queued(t *testing.T, p *player) []wire.ServerBody {
	t.Helper()
	var out []wire.ServerBody
	for len(p.events) > 0 {
		var sm wire.ServerMessage
		if err := codec.DecodeServerMessage(<-p.events, &sm); err != nil {
			t.Fatal(err)
		}
		out = append(out, sm.BodyType())
	}
	return out
}

// TestEventsBeforeTheWelcomeWaitForIt: a zone's events for a player handed
// to it that come before its answer reached the gateway (the player still
// in the zone it leaves), and those that come once the gateway moved it but
// before its Welcome is queued, go out after the Welcome, in order, and the
// party they tell is the one shown; events for a character that never
// arrives are forgotten after earlyFor.
func TestEventsBeforeTheWelcomeWaitForIt(t *testing.T) {
	cells, npcs := shedScene()
	g, from, _ := passScene(t, cells[:2], npcs)
	g.realmIDs = []string{""}
	ps, _ := playersOf(from)
	me := ps[0]
	me.events = make(chan []byte, 16)
	to := newZoneView(g, "dungeon", codec.PlayerEntered{CellSize: 32, TickHz: 20}, nil)
	g.zones[to.id] = to
	pe := codec.PlayerEntered{NetID: 77, X: me.px, Y: me.py, TickHz: 20}
	enc := func() *codec.PlayerEncoder { return codec.NewPlayerEncoder() }
	party := []codec.PartyMember{{ID: 77, Name: "me"}, {ID: 78, Name: "friend"}}

	// The dungeon's tick comes first: the gateway holds the player in the
	// zone it leaves.
	g.mu.Lock()
	g.forwardEvents(to, tickOf(t, codec.PlayerEvent{Character: me.character, Message: enc().Party(party, 1), PartyLeader: 5, PartyJoined: 7},
		codec.PlayerEvent{Character: 999, Message: enc().SystemMessage(1, "for no one here", 2)}))
	// The gateway takes the answer (moveTo), and another tick comes before
	// the Welcome is queued.
	me.zone, me.arriving = to.id, true
	g.forwardEvents(to, tickOf(t, codec.PlayerEvent{Character: me.character, Message: enc().Inventory([]codec.InventoryItem{{ID: 1, Template: 2, Count: 1}})}))
	g.mu.Unlock()
	if len(me.events) != 0 {
		t.Fatalf("%d events queued before the Welcome", len(me.events))
	}
	me.s = nil
	g.back(to, me, pe)
	got := queued(t, me)
	want := []wire.ServerBody{wire.ServerBodyWelcome, wire.ServerBodyParty, wire.ServerBodyInventory}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("queued %v, want %v", got, want)
	}
	if len(me.party) != 2 || me.party[0] != 77 || me.party[1] != 78 {
		t.Fatalf("the party shown is %v", me.party)
	}
	// The place the held Party carried is kept (place.go): a zone that
	// restarts is told it.
	if me.place != (partyPlace{leader: 5, joined: 7}) {
		t.Fatalf("the player's place is %+v, want the held Party's", me.place)
	}
	// Now in the zone, its events go out at once; only a Party changes its
	// place.
	g.mu.Lock()
	g.forwardEvents(to, tickOf(t, codec.PlayerEvent{Character: me.character, Message: enc().SystemMessage(1, "hello", 3)}))
	g.mu.Unlock()
	if got := queued(t, me); len(got) != 1 || me.place.leader != 5 {
		t.Fatalf("queued %v after the Welcome, place %+v", got, me.place)
	}
	g.mu.Lock()
	g.forwardEvents(to, tickOf(t, codec.PlayerEvent{Character: me.character, Message: enc().Party(nil, 4)}))
	g.mu.Unlock()
	if got := queued(t, me); len(got) != 1 || me.place != (partyPlace{}) {
		t.Fatalf("queued %v after leaving the party, place %+v", got, me.place)
	}
	// The one for no one is forgotten earlyFor later.
	if to.early[999] == nil {
		t.Fatal("the event for a character not here was not held")
	}
	to.early[999].since = time.Now().Add(-earlyFor - time.Second)
	g.mu.Lock()
	g.forwardEvents(to, tickOf(t))
	g.mu.Unlock()
	if len(to.early) != 0 {
		t.Fatalf("%d characters' events still held", len(to.early))
	}
}

// TestAJoiningPlayerGetsWhatCameBeforeIt: a player connecting (its entry
// answered through the realm node) gets the events its zone sent before
// the gateway joined it. A resumed one gets what it missed first (the
// zone's replay, numbered), then those, then those that came while the
// replay was asked: in the order the zone sent them all. Without an answer
// the held events go out all the same; and an answer that comes after the
// player's zone restarted (its replay superseded) puts nothing first.
func TestAJoiningPlayerGetsWhatCameBeforeIt(t *testing.T) {
	cells, npcs := shedScene()
	g, z, _ := passScene(t, cells[:1], npcs)
	g.realmIDs = []string{""}
	g.cpu = newCPUWatch(nil)
	enc := codec.NewPlayerEncoder
	arrive := func(character uint64, resumed bool) *player {
		g.mu.Lock()
		g.forwardEvents(z, tickOf(t, codec.PlayerEvent{Character: character, Message: enc().Inventory(nil)}))
		g.mu.Unlock()
		p := &player{character: character, netID: uint32(character), zone: z.id, view: NewView(0, g.scratch), events: make(chan []byte, 8),
			replaying: resumed}
		g.join(p, codec.RealmConnected{Zone: z.id})
		return p
	}
	if got := queued(t, arrive(501, false)); len(got) != 1 || got[0] != wire.ServerBodyInventory || z.early[501] != nil {
		t.Fatalf("a fresh player joined with %v queued, %v still held", got, z.early[501])
	}
	replay := func(events ...codec.PlayerEvent) node.Message {
		return node.Message{Payload: codec.NewZoneEncoder().EventsReplayed(events)}
	}
	for _, c := range []struct {
		character uint64
		answer    node.Message
		err       error
		want      []wire.ServerBody
	}{
		{502, replay(codec.PlayerEvent{Character: 502, Message: enc().Chat(1, "Ann", "while you were away", 7)}), nil,
			[]wire.ServerBody{wire.ServerBodyChat, wire.ServerBodyInventory, wire.ServerBodyParty}},
		{503, node.Message{}, errors.New("timed out"), []wire.ServerBody{wire.ServerBodyInventory, wire.ServerBodyParty}},
	} {
		p := arrive(c.character, true)
		g.mu.Lock()
		g.forwardEvents(z, tickOf(t, codec.PlayerEvent{Character: c.character, Message: enc().Party(nil, 9)}))
		g.mu.Unlock()
		if got := queued(t, p); len(got) != 0 {
			t.Fatalf("character %d: %v queued before the replay", c.character, got)
		}
		g.players[p.key()] = p
		g.replayed(p, z.id, c.answer, c.err)
		if got := queued(t, p); !slices.Equal(got, c.want) || z.early[c.character] != nil || p.replaying {
			t.Fatalf("character %d: %v queued after the replay, want %v", c.character, got, c.want)
		}
		// A second answer (superseded: the player's zone restarted, or one
		// came already) puts nothing first.
		g.replayed(p, z.id, c.answer, c.err)
		if got := queued(t, p); len(got) != 0 {
			t.Fatalf("character %d: a second answer queued %v", c.character, got)
		}
	}
}
