package gateway

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
)

func TestSelectSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		n := 1 + rng.IntN(300)
		k := 1 + rng.IntN(n)
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = uint64(rng.IntN(50))<<32 | uint64(i) // many equal distances
		}
		want := slices.Sorted(slices.Values(keys))[:k]
		selectSmallest(keys, k)
		got := slices.Sorted(slices.Values(keys[:k]))
		if !slices.Equal(got, want) {
			t.Fatalf("n %d k %d: the first k are %v, want %v", n, k, got, want)
		}
	}
}

// metres is how far e is from (px, py), in metres.
func metres(e *Entity, px, py int32) float64 {
	return math.Hypot(float64(e.X-px), float64(e.Y-py)) / 256
}

// TestNearestIsTheNearestAndItself: a player in a crowd of 300 is shown
// the cap nearest, itself among them wherever it stands, in ID order; a
// view within the cap is left whole.
func TestNearestIsTheNearestAndItself(t *testing.T) {
	s := newScene(11, 300)
	var nb nearby
	const self = 150
	for step := range 50 {
		s.step()
		visible := s.see()
		me := visible[slices.IndexFunc(visible, func(e Entity) bool { return e.ID == self })]
		for _, limit := range []int{1, 40, len(visible) - 1} {
			got := nb.nearest(visible, nil, self, me.X, me.Y, limit)
			if len(got) != limit || !slices.IsSortedFunc(got, func(a, b Entity) int { return int(a.ID) - int(b.ID) }) {
				t.Fatalf("step %d, cap %d: %d entities, sorted %v", step, limit, len(got), slices.IsSortedFunc(got, func(a, b Entity) int { return int(a.ID) - int(b.ID) }))
			}
			if !slices.ContainsFunc(got, func(e Entity) bool { return e.ID == self }) {
				t.Fatalf("step %d, cap %d: the player is not shown itself", step, limit)
			}
			farthest := 0.0
			for i := range got {
				if got[i].ID != self {
					farthest = max(farthest, metres(&got[i], me.X, me.Y))
				}
			}
			for i := range visible {
				e := &visible[i]
				if !slices.ContainsFunc(got, func(g Entity) bool { return g.ID == e.ID }) && metres(e, me.X, me.Y) < farthest-0.1 {
					t.Fatalf("step %d, cap %d: entity %d at %.1f m left out, %.1f m shown", step, limit, e.ID, metres(e, me.X, me.Y), farthest)
				}
			}
		}
		if got := nb.nearest(visible, nil, self, me.X, me.Y, len(visible)); &got[0] != &visible[0] {
			t.Fatal("a view within the cap is not left as it is")
		}
	}
}

// TestNearestKeepsWhatIsShown: an entity shown keeps its place against a
// newcomer until the newcomer is more than a third nearer.
func TestNearestKeepsWhatIsShown(t *testing.T) {
	var nb nearby
	at := func(id uint32, m float64) Entity { return Entity{Held: Held{ID: id, X: int32(m * 256)}} }
	shown := []Held{{ID: 1}, {ID: 2, X: 10 * 256}}
	for _, c := range []struct {
		newcomer float64
		want     uint32
	}{{9, 2}, {7.6, 2}, {7.4, 3}} {
		got := nb.nearest([]Entity{at(1, 0), at(2, 10), at(3, c.newcomer)}, shown, 1, 0, 0, 2)
		if len(got) != 2 || got[0].ID != 1 || got[1].ID != c.want {
			t.Fatalf("newcomer at %.1f m against one shown at 10 m: shown %v, want 1 and %d", c.newcomer, got, c.want)
		}
	}
}

// TestACappedViewConvergesAndDoesNotFlicker: a player in a crowd of 300,
// shown its 40 nearest, through the view's budget with a fifth of the
// snapshots lost: once the crowd stands still, its client holds exactly
// the 40 that the gateway shows, with their true state. Entities come and
// go at its edge as the crowd moves, less than half as often as without
// the favour given to what is shown.
func TestACappedViewConvergesAndDoesNotFlicker(t *testing.T) {
	const limit, self = 40, 150
	churn := map[bool]int{}
	for _, keep := range []bool{true, false} {
		s := newScene(7, 300)
		v := NewView(DefaultBudget, nil)
		v.Self = self
		var nb nearby
		var w client.World
		drop := rand.New(rand.NewPCG(3, 4))
		var snap codec.Snapshot
		var shownNow []Entity
		send := func(tick uint32) {
			visible := s.see()
			me := visible[slices.IndexFunc(visible, func(e Entity) bool { return e.ID == self })]
			var held []Held
			if keep {
				held = v.Shown()
			}
			shownNow = nb.nearest(visible, held, self, me.X, me.Y, limit)
			b := v.Build(shownNow, me.X, me.Y, tick, 0)
			if err := codec.ReadSnapshot(b, &snap); err != nil {
				t.Fatal(err)
			}
			churn[keep] += len(snap.Leaves)
			if drop.IntN(5) == 0 {
				return
			}
			if err := w.Apply(&snap); err != nil && !errors.Is(err, client.ErrNoBaseline) {
				t.Fatal(err)
			}
			v.Ack(w.Latest())
		}
		tick := uint32(0)
		for ; tick < 300; tick++ {
			s.step()
			send(tick)
		}
		for ; tick < 360; tick++ {
			send(tick)
		}
		if v.OverBudget != 0 || w.Len() != limit {
			t.Fatalf("keep %v: %d snapshots over budget; the client holds %d entities, cap %d", keep, v.OverBudget, w.Len(), limit)
		}
		for _, e := range shownNow {
			got, ok := w.Entity(e.ID)
			if !ok || got.X != float64(e.X)/256 || got.Y != float64(e.Y)/256 || got.Health != e.Health {
				t.Fatalf("keep %v: entity %d: client %+v (held %v), truth %+v", keep, e.ID, got, ok, e)
			}
		}
	}
	if churn[true]*2 > churn[false] {
		t.Fatalf("entities leaving the view in 360 snapshots: %d favouring what is shown, %d not", churn[true], churn[false])
	}
	t.Logf("entities leaving the view in 360 snapshots: %d favouring what is shown, %d not", churn[true], churn[false])
}

// BenchmarkCrowdSnapshot: one player's snapshot in a crowd of 1,000 that
// it sees whole (all), or its 100 nearest (nearest-100, choosing them
// included), acking two behind.
func BenchmarkCrowdSnapshot(b *testing.B) {
	for _, limit := range []int{0, 100} {
		name := "all"
		if limit > 0 {
			name = "nearest-100"
		}
		b.Run(name, func(b *testing.B) {
			s := newScene(9, 1000)
			s.half = 64 * 256 // the whole crowd in view
			fs := s.frames(64)
			v := NewView(DefaultBudget, nil)
			var nb nearby
			i := 0
			for b.Loop() {
				visible := fs[i%len(fs)]
				i++
				v.Build(nb.nearest(visible, v.Shown(), 0, s.px, s.py, limit), s.px, s.py, uint32(i), 0)
				if seq := v.Seq(); seq > 1 {
					v.Ack(seq - 1)
				}
			}
		})
	}
}

// TestAGatewayShowsEachPlayerItsNearest: through a snapshot pass in a zone
// with MaxVisible 25, each of 30 players in a crowd of 90 (one cell) is
// shown 25 entities, itself among them, with their true positions; the
// gateway counts every snapshot capped, and the sight of 90.
func TestAGatewayShowsEachPlayerItsNearest(t *testing.T) {
	const limit = 25
	cells := make([]uint32, 30)
	for i := range cells {
		cells[i] = 40<<16 | 40
	}
	g, z, ticks := passScene(t, cells, func(c uint32) int {
		if c == cells[0] {
			return 60
		}
		return 0 // the cells around it empty
	})
	z.maxVisible = limit
	players, worlds := playersOf(z)
	for tick := range 40 {
		playPass(t, g, z, players, worlds, tick, ticks[tick])
		for i, p := range players {
			if worlds[i].Len() != limit {
				t.Fatalf("tick %d, player %d: the client holds %d entities, the zone's bound is %d", tick, p.netID, worlds[i].Len(), limit)
			}
			if _, ok := worlds[i].Entity(p.netID); !ok {
				t.Fatalf("tick %d, player %d: not shown itself", tick, p.netID)
			}
			z.mirror.EachIn(40, 40, func(e *spatial.MirrorEntity, x, y int32) {
				if got, ok := worlds[i].Entity(e.ID); ok && (got.X != float64(x)/256 || got.Y != float64(y)/256) {
					t.Fatalf("tick %d, player %d: entity %d is at (%d, %d)/256, the client has %+v", tick, p.netID, e.ID, x, y, got)
				}
			})
		}
	}
	var capped, sight dto.Metric
	g.metrics.capped.Write(&capped)
	g.metrics.sight.Write(&sight)
	if n := capped.GetCounter().GetValue(); n != 40*30 || sight.GetHistogram().GetSampleSum() != 40*30*90 {
		t.Fatalf("%v of %d snapshots counted capped; sights summed %v, want %d", n, 40*30, sight.GetHistogram().GetSampleSum(), 40*30*90)
	}
}

// TestACappedClientNeverHoldsMoreThanTheCap: a player shown its 100
// nearest in a crowd of 1,000 that jumps across the crowd every 40
// snapshots (its whole view changes at once, more than one datagram
// holds), acknowledging 4 snapshots late: its client never holds more
// than 100 entities. (Leaves go before enters: with enters first, the
// view of a client took in 75 enters a datagram and gave up what left
// later, and held up to twice the cap.)
func TestACappedClientNeverHoldsMoreThanTheCap(t *testing.T) {
	const limit = 100
	s := newScene(13, 1000)
	s.half = 64 * 256
	v := NewView(DefaultBudget, nil)
	var nb nearby
	var w client.World
	var snap codec.Snapshot
	var acks []uint32
	for tick := uint32(1); tick <= 400; tick++ {
		s.step()
		if tick%40 == 0 { // to another part of the crowd
			s.px += int32(s.rng.IntN(100*256)) - 50*256
			s.py += int32(s.rng.IntN(100*256)) - 50*256
		}
		b := v.Build(nb.nearest(s.see(), v.Shown(), 0, s.px, s.py, limit), s.px, s.py, tick, 0)
		if err := codec.ReadSnapshot(b, &snap); err != nil {
			t.Fatal(err)
		}
		if err := w.Apply(&snap); err != nil {
			t.Fatal(err)
		}
		if w.Len() > limit {
			t.Fatalf("snapshot %d: the client holds %d entities, the cap is %d", tick, w.Len(), limit)
		}
		if acks = append(acks, w.Latest()); len(acks) > 4 {
			v.Ack(acks[0])
			acks = acks[1:]
		}
	}
}

// TestNearestShowsThePlayerInAHeap: forty entities where the player stands
// (the same spot to 1/16 m), a bound of 10: the player is among the 10.
func TestNearestShowsThePlayerInAHeap(t *testing.T) {
	var nb nearby
	var heap []Entity
	for id := uint32(1); id <= 40; id++ {
		heap = append(heap, Entity{Held: Held{ID: id, X: 1000, Y: 1000}})
	}
	for _, self := range []uint32{1, 20, 40} {
		got := nb.nearest(heap, nil, self, 1000, 1000, 10)
		if len(got) != 10 || !slices.ContainsFunc(got, func(e Entity) bool { return e.ID == self }) {
			t.Fatalf("player %d: shown %v", self, got)
		}
	}
}
