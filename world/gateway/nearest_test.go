package gateway

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
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
			got := nb.nearest(visible, nil, nil, self, me.X, me.Y, limit)
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
		if got := nb.nearest(visible, nil, nil, self, me.X, me.Y, len(visible)); &got[0] != &visible[0] {
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
		got := nb.nearest([]Entity{at(1, 0), at(2, 10), at(3, c.newcomer)}, shown, nil, 1, 0, 0, 2)
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
			shownNow = nb.nearest(visible, held, nil, self, me.X, me.Y, limit)
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
				v.Build(nb.nearest(visible, v.Shown(), nil, 0, s.px, s.py, limit), s.px, s.py, uint32(i), 0)
				if seq := v.Seq(); seq > 1 {
					v.Ack(seq - 1)
				}
			}
		})
	}
}

// crowdScene is a zone bounded at limit with 30 players and 60 NPCs in
// one cell, cell (40, 40), the cells around it empty.
func crowdScene(t *testing.T, limit int) (*Node, *zoneView, [][]spatial.CellChanges) {
	cells := make([]uint32, 30)
	for i := range cells {
		cells[i] = 40<<16 | 40
	}
	g, z, ticks := passScene(t, cells, func(c uint32) int {
		if c == cells[0] {
			return 60
		}
		return 0
	})
	z.maxVisible = limit
	return g, z, ticks
}

// TestAGatewayShowsEachPlayerItsNearest: through a snapshot pass in a zone
// with MaxVisible 25, each of 30 players in a crowd of 90 (one cell) is
// shown 25 entities, itself among them, with their true positions; the
// gateway counts every snapshot capped, and the sight of 90.
func TestAGatewayShowsEachPlayerItsNearest(t *testing.T) {
	const limit = 25
	g, z, ticks := crowdScene(t, limit)
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
		b := v.Build(nb.nearest(s.see(), v.Shown(), nil, 0, s.px, s.py, limit), s.px, s.py, tick, 0)
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
		got := nb.nearest(heap, nil, nil, self, 1000, 1000, 10)
		if len(got) != 10 || !slices.ContainsFunc(got, func(e Entity) bool { return e.ID == self }) {
			t.Fatalf("player %d: shown %v", self, got)
		}
	}
}

// TestNearestShowsThePartyFirst: a player in a crowd of 300 shown its 10
// nearest is shown its party's members, the farthest in its view, before
// anyone nearer; the rest of the bound goes to the nearest others. A party
// larger than the bound fills it, the player still shown itself.
func TestNearestShowsThePartyFirst(t *testing.T) {
	s := newScene(17, 300)
	var nb nearby
	const self, limit = 150, 10
	for step := range 20 {
		s.step()
		visible := s.see()
		me := visible[slices.IndexFunc(visible, func(e Entity) bool { return e.ID == self })]
		byDistance := slices.Clone(visible)
		slices.SortFunc(byDistance, func(a, b Entity) int { return cmp.Compare(metres(&a, me.X, me.Y), metres(&b, me.X, me.Y)) })
		far := byDistance[len(byDistance)-3:] // the party: the three farthest
		party := []uint32{far[0].ID, far[1].ID, far[2].ID}
		slices.Sort(party)
		got := nb.nearest(visible, nil, party, self, me.X, me.Y, limit)
		want := []uint32{self}
		want = append(want, party...)
		for _, e := range byDistance {
			if len(want) == limit {
				break
			}
			if e.ID != self && !slices.Contains(party, e.ID) {
				want = append(want, e.ID)
			}
		}
		slices.Sort(want)
		ids := make([]uint32, len(got))
		for i := range got {
			ids[i] = got[i].ID
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("step %d: shown %v, want %v (self, the party %v, then the nearest)", step, ids, want, party)
		}
		big := make([]uint32, 0, 2*limit)
		for _, e := range byDistance[len(byDistance)-2*limit:] {
			big = append(big, e.ID)
		}
		slices.Sort(big)
		got = nb.nearest(visible, nil, big, self, me.X, me.Y, limit)
		if !slices.ContainsFunc(got, func(e Entity) bool { return e.ID == self }) ||
			slices.ContainsFunc(got, func(e Entity) bool { return e.ID != self && !slices.Contains(big, e.ID) }) {
			t.Fatalf("step %d: a party of %d over a bound of %d: shown %v", step, len(big), limit, got)
		}
	}
}

// TestAGatewayShowsAPartyThroughTheBound: a Party event from the zone,
// forwarded to its player, has the gateway show that player its party's
// members through the zone's bound, wherever they stand in its view, and a
// Welcome into a zone ends it.
func TestAGatewayShowsAPartyThroughTheBound(t *testing.T) {
	const limit = 10
	g, z, ticks := crowdScene(t, limit)
	players, worlds := playersOf(z)
	playPass(t, g, z, players, worlds, 0, ticks[0])
	me := players[0]
	me.events = make(chan []byte, 4)
	// The party: the three NPCs of the cell farthest from the player.
	type far struct {
		id uint32
		d  float64
	}
	var npcs []far
	z.mirror.EachIn(40, 40, func(e *spatial.MirrorEntity, x, y int32) {
		if z.byNet[e.ID] == nil {
			npcs = append(npcs, far{e.ID, math.Hypot(float64(x-me.px), float64(y-me.py))})
		}
	})
	slices.SortFunc(npcs, func(a, b far) int { return cmp.Compare(b.d, a.d) })
	party := []codec.PartyMember{{ID: me.netID, Name: "me"}}
	for _, n := range npcs[:3] {
		party = append(party, codec.PartyMember{ID: n.id, Name: "far"})
	}
	ev := codec.PlayerEvent{Character: me.character, Message: codec.NewPlayerEncoder().Party(party, 1)}
	var msg wire.ZoneMessage
	var tick wire.ZoneTick
	if err := codec.DecodeZoneMessage(codec.NewZoneEncoder().Tick(1, 0, nil, nil, []codec.PlayerEvent{ev}), 1<<20, &msg); err != nil {
		t.Fatal(err)
	}
	codec.Member(msg.Body, &tick)
	g.realmIDs = []string{me.realm}
	g.forwardEvents(z, &tick)
	if len(me.events) != 1 {
		t.Fatal("the Party event was not forwarded to its player")
	}
	for tick := 1; tick < 6; tick++ {
		playPass(t, g, z, players, worlds, tick, ticks[tick])
	}
	for _, m := range party {
		if _, ok := worlds[0].Entity(m.ID); !ok {
			t.Fatalf("party member %d is not shown (the client holds %d)", m.ID, worlds[0].Len())
		}
	}
	if worlds[0].Len() != limit {
		t.Fatalf("the client holds %d entities, the bound is %d", worlds[0].Len(), limit)
	}
	me.s = nil
	g.back(z, me, codec.PlayerEntered{NetID: me.netID, X: me.px, Y: me.py, TickHz: 20})
	if len(me.party) != 0 {
		t.Fatalf("a Welcome left the party %v", me.party)
	}
}
