package client

import (
	"slices"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// TestAConnectionKeepsNamesBoundedByWhatItIsShown: Names told are kept by
// id; past namesKept, those of entities the connection is no longer shown
// are forgotten, those it is shown (the ones just told among them) kept.
func TestAConnectionKeepsNamesBoundedByWhatItIsShown(t *testing.T) {
	var c Conn
	snap := codec.Snapshot{Seq: 1, Updates: codec.Updates{Enters: []codec.Spawn{{ID: 7, Kind: wire.EntityKindPlayer}, {ID: 9, Kind: wire.EntityKindNpc}}}}
	if err := c.world.Apply(&snap); err != nil {
		t.Fatal(err)
	}
	tell := func(named ...codec.Named) {
		t.Helper()
		var m wire.ServerMessage
		if err := codec.DecodeServerMessage(codec.NewPlayerEncoder().Names(named), &m); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		c.heldEvent(&m)
		c.mu.Unlock()
	}
	tell(codec.Named{ID: 7, Kind: wire.EntityKindPlayer, Name: "Ann"})
	if n, ok := c.Named(7); !ok || n.Name != "Ann" {
		t.Fatalf("entity 7 named %+v %v", n, ok)
	}
	// Names of entities gone from view pile up to the bound.
	for id := uint32(1000); len(c.names) < namesKept; id++ {
		c.names[id] = codec.Named{ID: id, Name: "gone"}
	}
	tell(codec.Named{ID: 9, Kind: wire.EntityKindNpc, Template: 3, Name: "Wolf"})
	if len(c.names) != 2 {
		t.Fatalf("%d names kept past the bound, want the 2 shown", len(c.names))
	}
	if n, ok := c.Named(9); !ok || n.Name != "Wolf" {
		t.Fatalf("entity 9 named %+v %v", n, ok)
	}
	if _, ok := c.Named(7); !ok {
		t.Fatal("entity 7, shown, forgotten")
	}
}

// TestAskNamesAsksWhatItCannotName: AskNames picks the entities of the
// newest view it has no name for, itself aside and at most MaxWhoIs; asks
// at most every askNamesEvery, and about an entity again only after
// askAgainAfter without an answer; an answer counts, and a name whose
// kind or template the view contradicts is counted apart.
func TestAskNamesAsksWhatItCannotName(t *testing.T) {
	var c Conn
	c.self = 1
	var enters []codec.Spawn
	for id := uint32(1); id <= codec.MaxWhoIs+10; id++ {
		enters = append(enters, codec.Spawn{ID: id, Kind: wire.EntityKindNpc, Template: 2})
	}
	snap := codec.Snapshot{Seq: 1, Updates: codec.Updates{Enters: enters}}
	if err := c.world.Apply(&snap); err != nil {
		t.Fatal(err)
	}
	c.names = map[uint32]codec.Named{2: {ID: 2, Kind: wire.EntityKindNpc, Template: 2, Name: "Wolf"}}
	t0 := time.Now()
	ids := c.unnamed(t0, nil)
	if len(ids) != codec.MaxWhoIs || ids[0] != 3 || slices.Contains(ids, 1) || slices.Contains(ids, 2) {
		t.Fatalf("asked about %d entities from %v: want %d, not itself (1) nor one named (2)", len(ids), ids[:min(3, len(ids))], codec.MaxWhoIs)
	}
	if again := c.unnamed(t0.Add(askNamesEvery/2), nil); len(again) != 0 {
		t.Fatalf("asked again %v after half of askNamesEvery", again)
	}
	rest := c.unnamed(t0.Add(askNamesEvery), nil)
	if len(rest) != 8 || rest[0] != codec.MaxWhoIs+3 {
		t.Fatalf("the second question asked about %v, want the 8 not asked yet", rest)
	}
	// An answer, one of its names contradicting the view.
	var tooks []time.Duration
	c.opts.OnNamed = func(d time.Duration) { tooks = append(tooks, d) }
	var m wire.ServerMessage
	if err := codec.DecodeServerMessage(codec.NewPlayerEncoder().Names([]codec.Named{
		{ID: 3, Kind: wire.EntityKindNpc, Template: 2, Name: "Wolf"},
		{ID: 4, Kind: wire.EntityKindPlayer, Name: "Ann"}}), &m); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.heldEvent(&m)
	c.mu.Unlock()
	if c.Stats.NamesAsked != codec.MaxWhoIs+8 || c.Stats.NamesTold != 2 || c.Stats.NamesMismatched != 1 || len(c.tooks) != 2 {
		t.Fatalf("stats %+v, %d answer times kept", c.Stats, len(c.tooks))
	}
	// The first question's unanswered, past askAgainAfter, are asked
	// again; the named ones and the second question's are not.
	later := c.unnamed(t0.Add(askAgainAfter), nil)
	if len(later) != codec.MaxWhoIs-2 || later[0] != 5 || slices.Contains(later, rest[0]) {
		t.Fatalf("asked again about %d entities (%v...): want the first question's 62 still unnamed", len(later), later[:min(3, len(later))])
	}
}

// TestARenamedTemplateRenamesTheNamesKept: a Names entry of id 0 (a
// content reload renamed an NPC template) renames every name kept of that
// kind and template, and no other; it names no entity itself, and counts
// as no answer.
func TestARenamedTemplateRenamesTheNamesKept(t *testing.T) {
	var c Conn
	c.names = map[uint32]codec.Named{
		2: {ID: 2, Kind: wire.EntityKindNpc, Template: 1, Name: "wolf"},
		3: {ID: 3, Kind: wire.EntityKindNpc, Template: 1, Name: "wolf"},
		4: {ID: 4, Kind: wire.EntityKindNpc, Template: 2, Name: "boar"},
		5: {ID: 5, Kind: wire.EntityKindPlayer, Template: 1, Name: "Ann"},
	}
	var m wire.ServerMessage
	if err := codec.DecodeServerMessage(codec.NewPlayerEncoder().Names([]codec.Named{
		{Kind: wire.EntityKindNpc, Template: 1, Name: "grey_wolf"}}), &m); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.heldEvent(&m)
	c.mu.Unlock()
	want := map[uint32]string{2: "grey_wolf", 3: "grey_wolf", 4: "boar", 5: "Ann"}
	for id, name := range want {
		if n, _ := c.Named(id); n.Name != name {
			t.Errorf("entity %d is called %q, want %q", id, n.Name, name)
		}
	}
	if _, ok := c.Named(0); ok || c.Stats.NamesRenamed != 2 || c.Stats.NamesTold != 0 {
		t.Fatalf("a rename kept as entity 0 (%v), or counted wrong: %+v", ok, c.Stats)
	}
}
