package gateway

import (
	"slices"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// TestTheGatewayAnswersTheNamesItKept: the names a zone told a player are
// kept, and a later question is answered from them for entities the asking
// player is shown; the rest (an entity kept but not shown to it, one not
// kept) is asked of the zone; a name kept past namesFor, or asked by a
// player arriving in the zone, is asked again.
func TestTheGatewayAnswersTheNamesItKept(t *testing.T) {
	cells, npcs := shedScene()
	g, z, ticks := passScene(t, cells[:2], npcs) // two players whose views do not meet
	ps, worlds := playersOf(z)
	playPass(t, g, z, ps, worlds, 0, ticks[0])
	me, other := ps[0], ps[1]
	mine, theirs := me.view.Shown(), other.view.Shown()
	if len(mine) < 3 || len(theirs) < 2 {
		t.Fatalf("the scene shows %d and %d entities", len(mine), len(theirs))
	}
	a, c := mine[1].ID, mine[2].ID // shown to me: a kept, c not
	b := theirs[1].ID              // kept, not shown to me
	if slices.ContainsFunc(mine, func(h Held) bool { return h.ID == b }) {
		t.Fatal("the two players' views meet")
	}
	// The zone answered other's question about a and b earlier.
	other.events = make(chan []byte, 4)
	told := codec.NewPlayerEncoder().Names([]codec.Named{{ID: a, Kind: wire.EntityKindNpc, Template: 2, Name: "Wolf"},
		{ID: b, Kind: wire.EntityKindNpc, Template: 3, Name: "Bear"}})
	g.mu.Lock()
	g.queueEvent(z, other, told, partyPlace{})
	g.mu.Unlock()

	named, ask := g.answerNames(me, []uint32{a, b, c}, nil, nil)
	if len(named) != 1 || named[0].ID != a || named[0].Name != "Wolf" || !slices.Equal(ask, []uint32{b, c}) {
		t.Fatalf("answered %+v, asked the zone about %v: want %d from the gateway, %d and %d of the zone", named, ask, a, b, c)
	}
	// A content reload renamed template 2, and the zone tells each of its
	// players (both here): the kept names of template 2 are renamed once,
	// others are left, and the rename is no entity's name.
	me.events = make(chan []byte, 4)
	rename := codec.NewPlayerEncoder().Names([]codec.Named{{Kind: wire.EntityKindNpc, Template: 2, Name: "Grey Wolf"}})
	g.mu.Lock()
	g.queueEvent(z, other, rename, partyPlace{})
	g.queueEvent(z, me, rename, partyPlace{})
	_, zero := z.names[0]
	g.mu.Unlock()
	named, _ = g.answerNames(me, []uint32{a}, nil, nil)
	named, _ = g.answerNames(other, []uint32{b}, named, nil)
	if zero || len(named) != 2 || named[0].Name != "Grey Wolf" || named[1].Name != "Bear" {
		t.Fatalf("after the rename answered %+v (a name kept as entity 0: %v), want a the Grey Wolf, b the Bear", named, zero)
	}
	// Arriving in the zone (its Welcome not queued): the zone answers.
	me.arriving = true
	if named, ask := g.answerNames(me, []uint32{a}, nil, nil); len(named) != 0 || len(ask) != 1 {
		t.Fatalf("an arriving player was answered %+v", named)
	}
	me.arriving = false
	// Past namesFor a name is asked again, and a prune forgets it.
	g.mu.Lock()
	n := z.names[a]
	n.at = time.Now().Add(-namesFor)
	z.names[a] = n
	g.mu.Unlock()
	if named, ask := g.answerNames(me, []uint32{a}, nil, nil); len(named) != 0 || len(ask) != 1 {
		t.Fatalf("a name kept past namesFor answered: %+v", named)
	}
	z.pruneNames(time.Now(), true)
	if _, kept := z.names[a]; kept || len(z.names) != 1 {
		t.Fatalf("%d names kept after the prune, a among them: %v", len(z.names), kept)
	}
	// A restart of the zone forgets them all: its entities are numbered
	// afresh. (Without players to enter again: none is connected here.)
	g.players = map[playerKey]*player{}
	g.zoneRestarted(z)
	if len(z.names) != 0 {
		t.Fatalf("%d names kept through the zone's restart", len(z.names))
	}
}
