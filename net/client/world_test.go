package client

import (
	"errors"
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
