package gateway

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// TestSnapshotsNeverExceedTheBudget: crowds of every size (moving,
// changing state, entering and leaving view, with acknowledgements lost)
// never yield a snapshot larger than the budget, and the size View
// reckons with is never less than the encoded size.
func TestSnapshotsNeverExceedTheBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 500; trial++ {
		v := NewView(DefaultBudget, nil)
		var ents []Entity
		for id := uint32(1); id <= uint32(1+rng.IntN(300)); id++ {
			x, y := int32(rng.IntN(60*256))+500*256, int32(rng.IntN(60*256))+500*256
			ents = append(ents, Entity{Held: Held{ID: id * 3, X: x, Y: y, Health: 255}, Kind: wire.EntityKindPlayer, Template: uint16(id), Level: 10})
		}
		for tick := uint32(1); tick <= 60; tick++ {
			var visible []Entity
			for i := range ents {
				e := &ents[i]
				if rng.IntN(3) == 0 {
					e.X += int32(rng.IntN(300) - 150)
				}
				if rng.IntN(7) == 0 {
					e.Health = uint8(rng.IntN(256))
				}
				if rng.IntN(1+trial%7) > 0 { // some trials see a shifting subset
					visible = append(visible, *e)
				}
			}
			if rng.IntN(2) == 0 {
				v.Ack(tick - uint32(rng.IntN(3)))
			}
			out := v.Build(visible, 530*256, 530*256, tick, int64(tick)*50)
			if len(out) > DefaultBudget || len(out) > v.sc.size {
				t.Fatalf("trial %d tick %d: snapshot of %d bytes, reckoned %d (%d moves, %d states, %d enters, %d leaves)",
					trial, tick, len(out), v.sc.size, len(v.sc.snap.Moves), len(v.sc.snap.States), len(v.sc.snap.Enters), len(v.sc.snap.Leaves))
			}
		}
		if v.OverBudget != 0 {
			t.Fatalf("%d snapshots over budget", v.OverBudget)
		}
	}
}

// TestSelfGoesFirst: in a crowd whose changes overflow the budget every
// tick, the player's own moves are in every snapshot.
func TestSelfGoesFirst(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	v := NewView(DefaultBudget, nil)
	v.Self = 150 * 3
	var ents []Entity
	for id := uint32(1); id <= 300; id++ {
		x, y := int32(rng.IntN(4*256))+500*256, int32(rng.IntN(4*256))+500*256
		ents = append(ents, Entity{Held: Held{ID: id * 3, X: x, Y: y}, Kind: wire.EntityKindPlayer})
	}
	var snap codec.Snapshot
	for tick := uint32(1); tick <= 100; tick++ {
		for i := range ents {
			ents[i].X += int32(rng.IntN(100) + 1) // everyone moves, a lot
		}
		self := ents[149]
		v.Ack(tick - 1)
		if err := codec.ReadSnapshot(v.Build(ents, self.X, self.Y, tick, 0), &snap); err != nil {
			t.Fatal(err)
		}
		if tick == 1 {
			continue // full state: enters
		}
		if len(snap.Moves) >= len(ents)-1 {
			t.Fatalf("tick %d: all %d moves fit; the test wants a crowd over budget", tick, len(snap.Moves))
		}
		found := false
		for _, m := range snap.Moves {
			found = found || m.ID == v.Self
		}
		if !found {
			t.Fatalf("tick %d: the player's own move is not among the %d sent", tick, len(snap.Moves))
		}
	}
}

// TestCrowdPriorities: when a crowd's changes overflow the budget every
// tick, entities that enter view go out at once, near movers go out more
// often than far ones, and no mover waits long (what is left out is owed,
// and the debt grows until it wins).
func TestCrowdPriorities(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	v := NewView(DefaultBudget, nil)
	const px, py = 500 * 256, 500 * 256
	var ents []Entity
	for id := uint32(1); id <= 300; id++ {
		r := int32(2 * 256) // the near half, within 3 m
		if id%2 == 0 {
			r = 60 * 256 // the far half, 60 m out
		}
		ents = append(ents, Entity{Held: Held{ID: id, X: px + r, Y: py + int32(rng.IntN(256))}, Kind: wire.EntityKindNpc})
	}
	lastSent := map[uint32]uint32{}
	sent := map[uint32]int{}
	maxWait := map[bool]uint32{}
	var snap codec.Snapshot
	for tick := uint32(1); tick <= 200; tick++ {
		for i := range ents {
			ents[i].X += int32(rng.IntN(64)) - 32 // everyone moves a little
		}
		visible := ents
		newcomer := Entity{Held: Held{ID: 1000 + tick, X: px + 40*256, Y: py}, Kind: wire.EntityKindPlayer}
		if tick > 20 && tick%10 == 0 { // someone arrives, far out
			visible = append(slices.Clone(ents), newcomer)
		}
		if err := codec.ReadSnapshot(v.Build(visible, px, py, tick, 0), &snap); err != nil {
			t.Fatal(err)
		}
		v.Ack(tick)
		if tick <= 10 {
			continue // full state and its aftermath
		}
		if len(snap.Moves) >= len(ents)-1 {
			t.Fatalf("tick %d: all moves fit; the test wants a crowd over budget", tick)
		}
		if len(visible) > len(ents) && (len(snap.Enters) != 1 || snap.Enters[0].ID != newcomer.ID) {
			t.Fatalf("tick %d: %d enters, want the newcomer at once", tick, len(snap.Enters))
		}
		for _, m := range snap.Moves {
			if m.ID >= 1000 {
				continue
			}
			sent[m.ID]++
			if w := tick - max(lastSent[m.ID], 10); w > maxWait[m.ID%2 == 1] {
				maxWait[m.ID%2 == 1] = w
			}
			lastSent[m.ID] = tick
		}
	}
	near, far := 0, 0
	for _, e := range ents {
		if e.ID%2 == 1 {
			near += sent[e.ID]
		} else {
			far += sent[e.ID]
		}
		if tick := lastSent[e.ID]; tick < 180 {
			t.Errorf("entity %d (near %v): last sent at tick %d of 200", e.ID, e.ID%2 == 1, tick)
		}
	}
	t.Logf("moves sent: near %d, far %d; longest wait: near %d, far %d ticks", near, far, maxWait[true], maxWait[false])
	if near < 2*far {
		t.Errorf("near movers sent %d times, far ones %d: near ones should win", near, far)
	}
	if maxWait[false] > 25 || maxWait[true] > 8 {
		t.Errorf("longest wait between moves: near %d, far %d ticks", maxWait[true], maxWait[false])
	}
}

// TestViewRemembersWhatTheClientHolds: after every snapshot, what the view
// keeps as that snapshot's baseline is exactly what a client holds after
// applying it: through crowds over budget, enters and leaves, and acks
// that come late or not at all.
func TestViewRemembersWhatTheClientHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for trial := 0; trial < 60; trial++ {
		v := NewView(DefaultBudget, nil)
		var w client.World
		var snap codec.Snapshot
		var ents []Entity
		for id := uint32(1); id <= uint32(1+rng.IntN(250)); id++ {
			x, y := int32(rng.IntN(40*256))+500*256, int32(rng.IntN(40*256))+500*256
			ents = append(ents, Entity{Held: Held{ID: id * 2, X: x, Y: y, Health: 255}, Kind: wire.EntityKindNpc, Template: uint16(id), Level: 4})
		}
		for tick := uint32(1); tick <= 80; tick++ {
			var visible []Entity
			for i := range ents {
				e := &ents[i]
				if rng.IntN(4) > 0 {
					e.X += int32(rng.IntN(200) - 100)
					e.Heading = uint8(rng.IntN(256))
				}
				if rng.IntN(1+trial%5) == 0 || rng.IntN(10) > 0 { // some trials see a shifting subset
					visible = append(visible, *e)
				}
			}
			if err := codec.ReadSnapshot(v.Build(visible, 520*256, 520*256, tick, 0), &snap); err != nil {
				t.Fatal(err)
			}
			if err := w.Apply(&snap); err != nil {
				t.Fatalf("trial %d tick %d: %v", trial, tick, err)
			}
			held := v.history[v.seq%historyLen].entities
			if len(held) != w.Len() {
				t.Fatalf("trial %d tick %d: the view remembers %d entities, the client holds %d", trial, tick, len(held), w.Len())
			}
			for _, e := range held {
				got, ok := w.Entity(e.ID)
				if !ok || got.X != float64(e.X)/256 || got.Y != float64(e.Y)/256 || got.Heading != e.Heading || got.Health != e.Health {
					t.Fatalf("trial %d tick %d: entity %d remembered %+v, the client holds %+v (%v)", trial, tick, e.ID, e, got, ok)
				}
			}
			if rng.IntN(3) > 0 { // acks lost or late
				v.Ack(w.Latest() - uint32(rng.IntN(3)))
			}
		}
	}
}

// TestOwedFollowsWhatIsSeen: what a view owes is the changes the last
// snapshot left out, each with its score, and nothing for what it sent:
// so the list is as long as what is left out, however far apart the IDs
// in view lie, and empty once the player has walked away and the client
// holds nothing.
func TestOwedFollowsWhatIsSeen(t *testing.T) {
	s := newScene(9, 240)
	for i := range s.all { // IDs far apart, in the same order
		s.all[i].ID = uint32(i+1) * 100_003
	}
	v := NewView(0, nil)
	var snap codec.Snapshot
	leftOut := 0
	for tick := uint32(1); tick <= 120; tick++ {
		s.step()
		if tick == 100 { // walk away: nothing in view
			s.px += 2000 * 256
		}
		if err := codec.ReadSnapshot(v.Build(s.see(), s.px, s.py, tick, 0), &snap); err != nil {
			t.Fatal(err)
		}
		if v.Seq() > 2 {
			v.Ack(v.Seq() - 2)
		}
		sent := map[uint32]bool{}
		for _, m := range snap.Moves {
			sent[m.ID] = true
		}
		for _, st := range snap.States {
			sent[st.ID] = true
		}
		for _, e := range snap.Enters {
			sent[e.ID] = true
		}
		for _, id := range snap.Leaves {
			sent[id] = true
		}
		owed := map[uint32]float32{}
		for i, o := range v.owed[:len(v.owed)-1] {
			if i > 0 && o.id <= v.owed[i-1].id {
				t.Fatalf("tick %d: owed not in ID order at %d", tick, i)
			}
			owed[o.id] = o.score
		}
		if last := v.owed[len(v.owed)-1]; last.id != math.MaxUint32 {
			t.Fatalf("tick %d: owed ends with %+v, not the sentinel", tick, last)
		}
		for _, c := range v.sc.cands {
			score, ok := owed[c.id]
			if sent[c.id] == ok || ok && score != c.score {
				t.Fatalf("tick %d: entity %d sent %v, owed %v (%g, its score %g)", tick, c.id, sent[c.id], ok, score, c.score)
			}
		}
		if len(owed) != len(v.sc.cands)-len(sent) {
			t.Fatalf("tick %d: %d owed, %d candidates of which %d sent", tick, len(owed), len(v.sc.cands), len(sent))
		}
		leftOut += len(owed)
	}
	if leftOut == 0 {
		t.Fatal("nothing was ever left out: the test wants a crowd over budget")
	}
	if len(v.owed) != 1 {
		t.Fatalf("walked away: %d owed, want none", len(v.owed)-1)
	}
}

// TestSelfGoesFirstThroughAWholeChange: a player whose view of 1,000
// changes whole (another part of the world at once: more leaves than a
// datagram holds, and what they are owed) still has its own move in every
// snapshot: nothing else reaches its priority.
func TestSelfGoesFirstThroughAWholeChange(t *testing.T) {
	v := NewView(DefaultBudget, nil)
	v.Self = 1
	crowd := func(from uint32, x0 int32) []Entity {
		es := []Entity{{Held: Held{ID: 1}, Kind: wire.EntityKindPlayer}}
		for id := from; id < from+1000; id++ {
			es = append(es, Entity{Held: Held{ID: id, X: x0 + int32(id%40)*256, Y: int32(id/40%40) * 256}, Kind: wire.EntityKindNpc})
		}
		return es
	}
	here, there := crowd(2, 0), crowd(5000, 0)
	var snap codec.Snapshot
	for tick := uint32(1); tick <= 60; tick++ {
		visible := here
		if tick > 20 {
			visible = there
		}
		visible[0].X += 256 // the player walks on
		if err := codec.ReadSnapshot(v.Build(visible, visible[0].X, visible[0].Y, tick, 0), &snap); err != nil {
			t.Fatal(err)
		}
		v.Ack(tick)
		if tick == 1 {
			continue
		}
		if !slices.ContainsFunc(snap.Moves, func(m codec.Move) bool { return m.ID == v.Self }) &&
			!slices.ContainsFunc(snap.Enters, func(s codec.Spawn) bool { return s.ID == v.Self }) {
			t.Fatalf("tick %d: the player's own move is not sent (%d leaves, %d enters)", tick, len(snap.Leaves), len(snap.Enters))
		}
	}
}
