package gateway

import (
	"math/rand/v2"
	"testing"

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
		v := NewView(DefaultBudget)
		var ents []Entity
		for id := uint32(1); id <= uint32(1+rng.IntN(300)); id++ {
			ents = append(ents, Entity{ID: id * 3, X: int32(rng.IntN(60*256)) + 500*256, Y: int32(rng.IntN(60*256)) + 500*256,
				Kind: wire.EntityKindPlayer, Health: 255, Template: uint16(id), Level: 10})
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
			if len(out) > DefaultBudget || len(out) > v.size {
				t.Fatalf("trial %d tick %d: snapshot of %d bytes, reckoned %d (%d moves, %d states, %d enters, %d leaves)",
					trial, tick, len(out), v.size, len(v.snap.Moves), len(v.snap.States), len(v.snap.Enters), len(v.snap.Leaves))
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
	v := NewView(DefaultBudget)
	v.Self = 150 * 3
	var ents []Entity
	for id := uint32(1); id <= 300; id++ {
		ents = append(ents, Entity{ID: id * 3, X: int32(rng.IntN(4*256)) + 500*256, Y: int32(rng.IntN(4*256)) + 500*256, Kind: wire.EntityKindPlayer})
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
