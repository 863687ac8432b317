package gateway

import (
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
)

// TestACellOutOfStepComesBackWhole: the gateway's side of keeping its
// subscriptions matched with a zone's. A delta of a cell no player watches
// (sent before the zone took the Unsubscribe) is skipped and asks for
// nothing; a watched cell's deltas before its full state are skipped; a
// cell out of step is asked for whole once, and its full state brings it
// back. (A delta in flight asking for its unwatched cell again left zones a
// reference ahead, after which players went unshown for tens of seconds.)
func TestACellOutOfStepComesBackWhole(t *testing.T) {
	n, err := node.New(node.Config{ID: "gateway-test", Secret: []byte("a test secret of thirty-two bytes!!")})
	if err != nil {
		t.Fatal(err)
	}
	g := &Node{clock: ecs.RealClock{}, node: n, zenc: codec.NewZoneEncoder(), players: map[playerKey]*player{}, zones: map[string]*zoneView{},
		log: slog.New(slog.DiscardHandler)}
	g.metrics = g.newMetrics()
	z := &zoneView{id: "zone", mirror: spatial.NewMirror(), refs: map[uint32]int{}, byNet: map[uint32]*player{},
		cellSize: 32 * spatial.PosSteps, viewRadius: 1}
	const cx, cy = 10, 10
	c := uint32(cy)<<16 | cx
	full := func(tick uint32) *spatial.CellChanges {
		return &spatial.CellChanges{CX: cx, CY: cy, CellSize: 32, Tick: tick, Full: true,
			Enters: []spatial.Enter{{ID: 7, Slot: 0, X: 100, Y: 100, Health: 255}}}
	}
	step := func(tick uint32) *spatial.CellChanges {
		return &spatial.CellChanges{CX: cx, CY: cy, CellSize: 32, Tick: tick, Steps: []spatial.Step{{Slot: 0, DX: 1}}}
	}
	held := func() bool { return z.mirror.EachIn(cx, cy, func(*spatial.MirrorEntity, int32, int32) {}) }
	count := func(c prometheus.Counter) float64 {
		var m dto.Metric
		c.Write(&m)
		return m.GetCounter().GetValue()
	}
	resent := func() float64 { return count(g.metrics.cellsResent) }

	// Nobody watches the cell: what arrives for it is skipped, and asks for nothing.
	g.applyCell(z, full(1))
	g.applyCell(z, step(2))
	if held() || resent() != 0 || count(g.metrics.cellsUnwatched) != 2 {
		t.Fatalf("an unwatched cell: held %v, resent %v", held(), resent())
	}

	// A player comes: the cell is asked for, its deltas wait for its full state.
	p := &player{netID: 7, px: cx*32*spatial.PosSteps + 5, py: cy*32*spatial.PosSteps + 5}
	g.watch(z, p)
	if z.refs[c] != 1 || !z.awaiting[c] {
		t.Fatalf("watched: refs %d, awaiting %v", z.refs[c], z.awaiting[c])
	}
	g.applyCell(z, step(3))
	if held() || resent() != 0 {
		t.Fatalf("a delta before the full state: held %v, resent %v", held(), resent())
	}
	g.applyCell(z, full(4))
	g.applyCell(z, step(5))
	if !held() || z.awaiting[c] || resent() != 0 {
		t.Fatalf("after the full state: held %v, awaiting %v, resent %v", held(), z.awaiting[c], resent())
	}

	// Out of step (a step of a free slot): asked for whole once, until it comes.
	bad := &spatial.CellChanges{CX: cx, CY: cy, CellSize: 32, Tick: 6, Steps: []spatial.Step{{Slot: 3, DX: 1}}}
	g.applyCell(z, bad)
	g.applyCell(z, step(7))
	g.applyCell(z, step(8))
	if held() || resent() != 1 {
		t.Fatalf("out of step: held %v, asked %v times", held(), resent())
	}
	g.applyCell(z, full(9))
	g.applyCell(z, step(10))
	if !held() || z.awaiting[c] {
		t.Fatalf("back whole: held %v, awaiting %v", held(), z.awaiting[c])
	}

	// The player goes: the cell is forgotten, and what is in flight for it skipped.
	g.unwatch(z, p)
	g.applyCell(z, step(11))
	if held() || z.refs[c] != 0 || z.awaiting[c] || resent() != 1 {
		t.Fatalf("unwatched again: held %v, refs %d, resent %v", held(), z.refs[c], resent())
	}
}
