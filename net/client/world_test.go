package client

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

func TestWorldAppliesDeltasOnTheirBaseline(t *testing.T) {
	var w World
	full := codec.Snapshot{Seq: 1, OriginX: 100, OriginY: 200, Updates: codec.Updates{Enters: []codec.Spawn{
		{ID: 7, X: 256, Y: 512, Kind: wire.EntityKindNpc, Health: 255}, {ID: 8, X: 0, Y: 0, Health: 10}}}}
	if err := w.Apply(&full); err != nil || w.Latest() != 1 || w.Len() != 2 {
		t.Fatalf("full: %v, latest %d, %d entities", err, w.Latest(), w.Len())
	}
	if e, _ := w.Entity(7); e.X != 101 || e.Y != 202 || e.Kind != wire.EntityKindNpc {
		t.Fatalf("entity 7 %+v", e)
	}
	// Delta on 1: 7 moves and changes state, 8 leaves. The origin moved:
	// positions are relative to the new snapshot's origin.
	d := codec.Snapshot{Seq: 2, Baseline: 1, OriginX: 90, OriginY: 190, Updates: codec.Updates{
		Moves: []codec.Move{{ID: 7, X: 2816, Y: 3072}}, States: []codec.State{{ID: 7, Health: 100}}, Leaves: []uint32{8}}}
	if err := w.Apply(&d); err != nil {
		t.Fatal(err)
	}
	if e, ok := w.Entity(7); !ok || e.X != 101 || e.Y != 202 || e.Health != 100 || w.Len() != 1 {
		t.Fatalf("after the delta: %+v, %d entities", e, w.Len())
	}
	if err := w.Apply(&full); err != nil || w.Latest() != 2 {
		t.Fatalf("an old snapshot was applied: latest %d", w.Latest())
	}
	lost := codec.Snapshot{Seq: 5, Baseline: 4}
	if err := w.Apply(&lost); !errors.Is(err, ErrNoBaseline) || w.Latest() != 2 {
		t.Fatalf("missing baseline: %v, latest %d", err, w.Latest())
	}
}

// TestWorldMatchesAModel applies random chains of deltas (with lost and
// repeated baselines) and compares every view with a plain map model.
func TestWorldMatchesAModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var w World
	model := map[uint32]map[uint32]Entity{0: {}} // seq -> entities
	var slots [views]uint32                      // which applied snapshot each view slot holds
	for seq := uint32(1); seq < 2000; seq++ {
		base := uint32(0)
		if seq > 1 && rng.IntN(10) > 0 {
			base = seq - 1 - uint32(rng.IntN(int(min(seq-1, 70))))
		}
		s := codec.Snapshot{Seq: seq, Baseline: base, OriginX: int32(rng.IntN(10))}
		mb, held := model[base]
		next := map[uint32]Entity{}
		for id, e := range mb {
			next[id] = e
		}
		for k := rng.IntN(6); k > 0; k-- {
			id := 1 + rng.Uint32N(40)
			s.Leaves = append(s.Leaves, id)
			delete(next, id)
		}
		for k := rng.IntN(6); k > 0; k-- {
			id := 1 + rng.Uint32N(40)
			sp := codec.Spawn{ID: id, X: uint16(rng.IntN(5000)), Y: uint16(rng.IntN(5000)), Health: uint8(rng.IntN(255))}
			s.Enters = append(s.Enters, sp)
			next[id] = Entity{ID: id, X: float64(s.OriginX) + float64(sp.X)/256, Y: float64(sp.Y) / 256, Health: sp.Health}
		}
		for k := rng.IntN(10); k > 0; k-- {
			id := 1 + rng.Uint32N(40)
			mv := codec.Move{ID: id, X: uint16(rng.IntN(5000)), Y: uint16(rng.IntN(5000))}
			s.Moves = append(s.Moves, mv)
			if e, ok := next[id]; ok {
				e.X, e.Y = float64(s.OriginX)+float64(mv.X)/256, float64(mv.Y)/256
				next[id] = e
			}
		}
		err := w.Apply(&s)
		inHistory := base == 0 || (held && slots[base%views] == base)
		if !inHistory {
			if !errors.Is(err, ErrNoBaseline) {
				t.Fatalf("seq %d on %d: %v, want ErrNoBaseline", seq, base, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("seq %d on %d: %v", seq, base, err)
		}
		model[seq] = next
		slots[seq%views] = seq
		if w.Len() != len(next) {
			var ids []uint32
			w.Each(func(e Entity) { ids = append(ids, e.ID) })
			t.Fatalf("seq %d on %d: %d entities %v, model %v; snapshot %+v", seq, base, w.Len(), ids, next, s)
		}
		last := uint32(0)
		w.Each(func(e Entity) {
			if e.ID <= last || e != next[e.ID] {
				t.Fatalf("seq %d: entity %+v, model %+v (order %d)", seq, e, next[e.ID], last)
			}
			last = e.ID
		})
	}
}

// BenchmarkWorldApply: a delta of 50 moves and 10 state changes on a view
// of 150 entities, a busy player's snapshot.
func BenchmarkWorldApply(b *testing.B) {
	var w World
	full := codec.Snapshot{Seq: 1}
	for id := uint32(1); id <= 150; id++ {
		full.Enters = append(full.Enters, codec.Spawn{ID: id * 7, X: uint16(id), Y: uint16(id)})
	}
	w.Apply(&full)
	d := codec.Snapshot{}
	for id := uint32(1); id <= 50; id++ {
		d.Moves = append(d.Moves, codec.Move{ID: id * 21, X: 5, Y: 5})
	}
	for id := uint32(1); id <= 10; id++ {
		d.States = append(d.States, codec.State{ID: id * 14, Health: 3})
	}
	seq := uint32(1)
	for b.Loop() {
		d.Baseline, d.Seq = seq, seq+1
		seq++
		if err := w.Apply(&d); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWorldHoldsTheOldestBaselineAGatewayUses: a gateway deltas against a
// snapshot up to codec.SnapshotBaselines back; that baseline shares its
// view's slot with the delta, and the delta applies on it.
func TestWorldHoldsTheOldestBaselineAGatewayUses(t *testing.T) {
	var w World
	first := codec.Snapshot{Seq: 1, Updates: codec.Updates{Enters: []codec.Spawn{{ID: 7, X: 256}, {ID: 8, X: 512}}}}
	if err := w.Apply(&first); err != nil {
		t.Fatal(err)
	}
	for seq := uint32(2); seq <= codec.SnapshotBaselines; seq++ { // the client acks none of these
		s := codec.Snapshot{Seq: seq, Baseline: seq - 1, Updates: codec.Updates{Moves: []codec.Move{{ID: 7, X: uint16(seq) * 256}}}}
		if err := w.Apply(&s); err != nil {
			t.Fatal(err)
		}
	}
	oldest := codec.Snapshot{Seq: 1 + codec.SnapshotBaselines, Baseline: 1, Updates: codec.Updates{Leaves: []uint32{8}}}
	if err := w.Apply(&oldest); err != nil {
		t.Fatalf("a delta %d snapshots after its baseline: %v", codec.SnapshotBaselines, err)
	}
	if e, ok := w.Entity(7); !ok || e.X != 1 || w.Len() != 1 {
		t.Fatalf("on snapshot 1: entity 7 %+v, %d entities; want it where snapshot 1 had it, alone", e, w.Len())
	}
	older := codec.Snapshot{Seq: 2 + codec.SnapshotBaselines, Baseline: 1}
	if err := w.Apply(&older); !errors.Is(err, ErrNoBaseline) {
		t.Fatalf("a baseline %d back (overwritten): %v, want ErrNoBaseline", codec.SnapshotBaselines+1, err)
	}
}

// BenchmarkWorldApplyCrowd: a player in a crowd of 1,000 whose gateway
// fits about 60 moves and a few entities leaving and entering in each
// snapshot (its budget cuts the rest), acking one behind.
func BenchmarkWorldApplyCrowd(b *testing.B) {
	var w World
	full := codec.Snapshot{Seq: 1}
	for id := uint32(1); id <= 1000; id++ {
		full.Enters = append(full.Enters, codec.Spawn{ID: id * 3, X: uint16(id), Y: uint16(id)})
	}
	if err := w.Apply(&full); err != nil {
		b.Fatal(err)
	}
	seq := uint32(1)
	var d codec.Snapshot
	for i := 0; b.Loop(); i++ {
		d.Seq, d.Baseline = seq+1, seq
		d.Updates.Reset()
		for k := range uint32(4) { // four leave, the four that left last time come back
			out, back := (uint32(i)*4+k)%1000+1, (uint32(i-1)*4+k)%1000+1
			d.Leaves = append(d.Leaves, out*3)
			if i > 0 {
				d.Enters = append(d.Enters, codec.Spawn{ID: back * 3, X: 9, Y: 9})
			}
		}
		for k := range uint32(60) {
			d.Moves = append(d.Moves, codec.Move{ID: ((uint32(i)*61+k*17)%1000 + 1) * 3, X: 5, Y: 5})
		}
		seq++
		if err := w.Apply(&d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorldApplyFullCrowd: full state of a crowd of 1,000, as a
// client that fell more than 32 snapshots behind gets, its entities in the
// order the gateway's priorities put them (not by ID).
func BenchmarkWorldApplyFullCrowd(b *testing.B) {
	var w World
	var full codec.Snapshot
	rng := rand.New(rand.NewPCG(1, 2))
	for _, id := range rng.Perm(1000) {
		full.Enters = append(full.Enters, codec.Spawn{ID: uint32(id+1) * 3, X: uint16(id), Y: uint16(id)})
	}
	seq := uint32(0)
	for b.Loop() {
		seq++
		full.Seq = seq
		if err := w.Apply(&full); err != nil {
			b.Fatal(err)
		}
	}
}
