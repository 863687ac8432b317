package gateway

import (
	"bytes"
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// scene is a crowd around a player, in wire units.
type scene struct {
	rng     *rand.Rand
	all     []Entity
	px, py  int32
	half    int32 // half the side of the player's view, 1/256 m
	visible []Entity
}

func newScene(seed uint64, n int) *scene {
	s := &scene{rng: rand.New(rand.NewPCG(seed, 1)), px: 1000 * 256, py: 1000 * 256, half: 48 * 256}
	for i := 0; i < n; i++ {
		x, y := s.px+int32(s.rng.IntN(120*256))-60*256, s.py+int32(s.rng.IntN(120*256))-60*256
		s.all = append(s.all, Entity{Held: Held{ID: uint32(i + 1), X: x, Y: y, Health: 255}, Kind: wire.EntityKindNpc, Template: uint16(i % 7), Level: 3})
	}
	return s
}

// step moves most entities a little and changes some states.
func (s *scene) step() {
	for i := range s.all {
		e := &s.all[i]
		if s.rng.IntN(10) < 6 {
			e.X += int32(s.rng.IntN(160)) - 80
			e.Y += int32(s.rng.IntN(160)) - 80
			e.Heading = uint8(s.rng.IntN(256))
		}
		if s.rng.IntN(20) == 0 {
			e.Health = uint8(1 + s.rng.IntN(255))
		}
	}
}

// frames steps the scene n times and returns what the player sees after
// each step (copies), for benchmarks that build from them in turn.
func (s *scene) frames(n int) [][]Entity {
	fs := make([][]Entity, n)
	for i := range fs {
		s.step()
		fs[i] = slices.Clone(s.see())
	}
	return fs
}

// see returns the entities in the player's view, sorted by ID.
func (s *scene) see() []Entity {
	s.visible = s.visible[:0]
	for _, e := range s.all {
		if e.X >= s.px-s.half && e.X < s.px+s.half && e.Y >= s.py-s.half && e.Y < s.py+s.half {
			s.visible = append(s.visible, e)
		}
	}
	slices.SortFunc(s.visible, func(a, b Entity) int { return int(int64(a.ID) - int64(b.ID)) })
	return s.visible
}

// TestClientConvergesUnderLossAndBudget: a crowd that changes more per
// tick than one datagram holds, 20% of snapshots and of acks lost: every
// datagram stays within the budget, and once the crowd stands still the
// client's view is exactly the truth.
func TestClientConvergesUnderLossAndBudget(t *testing.T) {
	s := newScene(7, 300)
	v := NewView(DefaultBudget, nil)
	var w client.World
	drop := rand.New(rand.NewPCG(3, 4))
	var snap codec.Snapshot
	cut := 0
	send := func(tick uint32) {
		b := v.Build(s.see(), s.px, s.py, tick, 0)
		if len(b) > DefaultBudget {
			t.Fatalf("tick %d: %d bytes, budget %d", tick, len(b), DefaultBudget)
		}
		if len(b) > DefaultBudget*9/10 {
			cut++
		}
		if drop.IntN(5) == 0 {
			return // the snapshot is lost
		}
		if err := codec.ReadSnapshot(b, &snap); err != nil {
			t.Fatal(err)
		}
		if err := w.Apply(&snap); err != nil && !errors.Is(err, client.ErrNoBaseline) {
			t.Fatal(err)
		}
		if drop.IntN(5) != 0 { // the ack rides on an input, which may be lost too
			v.Ack(w.Latest())
		}
	}
	tick := uint32(0)
	for ; tick < 400; tick++ {
		s.step()
		send(tick)
	}
	if cut < 50 {
		t.Fatalf("only %d of 400 snapshots near the budget: the test does not press the budget", cut)
	}
	for ; tick < 460; tick++ { // the crowd stands still
		send(tick)
	}
	if v.OverBudget != 0 {
		t.Fatalf("%d snapshots over budget", v.OverBudget)
	}
	visible := s.see()
	if w.Len() != len(visible) {
		t.Fatalf("client sees %d entities, the player's view has %d", w.Len(), len(visible))
	}
	for _, e := range visible {
		got, ok := w.Entity(e.ID)
		if !ok {
			t.Fatalf("entity %d missing on the client", e.ID)
		}
		if got.X != float64(e.X)/256 || got.Y != float64(e.Y)/256 || got.Heading != e.Heading || got.Health != e.Health ||
			got.Template != e.Template || got.Kind != e.Kind {
			t.Fatalf("entity %d: client %+v, truth %+v", e.ID, got, e)
		}
	}
}

// TestSnapshotsDeltaAndFallBack: the first snapshot is full state and
// names the player's entity; nothing changed, a delta carries no record
// (nor the player's entity); a client that acks nothing for longer than
// the history gets full state again, which names it again.
func TestSnapshotsDeltaAndFallBack(t *testing.T) {
	s := newScene(1, 20)
	v := NewView(0, nil)
	v.Self = 7
	var w client.World
	var snap codec.Snapshot
	first := v.Build(s.see(), s.px, s.py, 1, 0)
	codec.ReadSnapshot(first, &snap)
	if snap.Baseline != 0 || len(snap.Enters) != len(s.see()) || snap.Self != 7 {
		t.Fatalf("first snapshot: baseline %d, %d enters of %d, self %d", snap.Baseline, len(snap.Enters), len(s.see()), snap.Self)
	}
	w.Apply(&snap)
	v.Ack(w.Latest())
	b := v.Build(s.see(), s.px, s.py, 2, 0)
	codec.ReadSnapshot(b, &snap)
	if snap.Baseline != 1 || snap.Updates.Len() != 0 || snap.Self != 0 {
		t.Fatalf("unchanged world: baseline %d, %d records, self %d", snap.Baseline, snap.Updates.Len(), snap.Self)
	}
	for i := 0; i < historyLen+1; i++ { // no ack for longer than the history
		v.Build(s.see(), s.px, s.py, uint32(3+i), 0)
	}
	b = v.Build(s.see(), s.px, s.py, 99, 0)
	codec.ReadSnapshot(b, &snap)
	if snap.Baseline != 0 || len(snap.Enters) != len(s.see()) || snap.Self != 7 {
		t.Fatalf("after a long silence: baseline %d, %d enters, self %d", snap.Baseline, len(snap.Enters), snap.Self)
	}
}

func TestSortByID(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var keys []uint64
	var spare []Entity
	for n := 0; n < 300; n += 7 {
		es := make([]Entity, n)
		for i := range es {
			es[i] = Entity{Held: Held{ID: rng.Uint32N(1000), X: int32(i)}}
		}
		want := slices.Clone(es)
		slices.SortStableFunc(want, func(a, b Entity) int { return cmp.Compare(a.ID, b.ID) })
		var got []Entity
		got, keys, spare = sortByID(es, keys, spare)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: not sorted by ID (stably)", n)
		}
	}
}

func BenchmarkSortByID(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	es := make([]Entity, 150)
	for i := range es {
		es[i] = Entity{Held: Held{ID: rng.Uint32N(100000)}}
	}
	work := make([]Entity, len(es))
	var keys []uint64
	var spare []Entity
	for b.Loop() {
		copy(work, es)
		work, keys, spare = sortByID(work, keys, spare)
	}
}

func BenchmarkSortFunc(b *testing.B) { // what sortByID replaced
	rng := rand.New(rand.NewPCG(1, 2))
	es := make([]Entity, 150)
	for i := range es {
		es[i] = Entity{Held: Held{ID: rng.Uint32N(100000)}}
	}
	work := make([]Entity, len(es))
	for b.Loop() {
		copy(work, es)
		slices.SortFunc(work, func(a, b Entity) int { return int(int64(a.ID) - int64(b.ID)) })
	}
}

// BenchmarkViewSparse: a player who sees a few dozen entities, whose
// changes all fit in one datagram (most players, outside crowds).
func BenchmarkViewSparse(b *testing.B) {
	s := newScene(9, 60)
	frames := s.frames(64)
	v := NewView(0, nil)
	for i := 0; i < 64; i++ {
		v.Build(frames[i], s.px, s.py, uint32(i), 0)
		v.Ack(v.Seq())
	}
	i := 0
	for b.Loop() {
		v.Build(frames[i%len(frames)], s.px, s.py, uint32(i), 0)
		v.Ack(v.Seq() - 1)
		i++
	}
	b.ReportMetric(float64(len(frames[0])), "entities")
}

// TestViewsShareScratch: views that take turns in one Scratch send what
// views with scratch of their own send, byte for byte, through crowds and
// sparse views, enters and leaves, and acks at different lags.
func TestViewsShareScratch(t *testing.T) {
	shared := NewScratch()
	type pair struct {
		s           *scene
		inTurn, own *View
		lag         uint32
	}
	var pairs []pair
	for i, n := range []int{240, 60, 400, 10} {
		s := newScene(uint64(20+i), n)
		pairs = append(pairs, pair{s: s, inTurn: NewView(0, shared), own: NewView(0, nil), lag: uint32(1 + i)})
	}
	for tick := uint32(1); tick <= 300; tick++ {
		for i := range pairs {
			p := &pairs[i]
			p.s.step()
			if tick%50 == 0 { // walk away: most of the view leaves, another enters
				p.s.px += 40 * 256
			}
			vis := p.s.see()
			got := p.inTurn.Build(vis, p.s.px, p.s.py, tick, 0)
			want := p.own.Build(vis, p.s.px, p.s.py, tick, 0)
			if !bytes.Equal(got, want) {
				t.Fatalf("tick %d, view %d: %d bytes built in turn, %d alone, and they differ", tick, i, len(got), len(want))
			}
			if seq := p.own.Seq(); seq > p.lag && tick%7 != 0 { // some acks are lost
				p.inTurn.Ack(seq - p.lag)
				p.own.Ack(seq - p.lag)
			}
		}
	}
}

// TestHistoryHoldsWhatMayBeAcked: a view keeps the entities of the
// snapshots from the acked one on, and little room besides: three
// snapshots' worth for a client acking two behind, all of history for
// one that stops acking, few again once it acks. Room given back and
// reused never corrupts a baseline: the client ends with the truth.
func TestHistoryHoldsWhatMayBeAcked(t *testing.T) {
	s := newScene(5, 240)
	v := NewView(0, nil)
	var w client.World
	var snap codec.Snapshot
	held := func() (n int) {
		for _, h := range v.history {
			if h.entities != nil {
				n++
			}
		}
		return n
	}
	tick := uint32(0)
	build := func(ack func()) {
		tick++
		if err := codec.ReadSnapshot(v.Build(s.see(), s.px, s.py, tick, 0), &snap); err != nil {
			t.Fatal(err)
		}
		if err := w.Apply(&snap); err != nil {
			t.Fatalf("tick %d: %v", tick, err)
		}
		ack()
	}
	ackTwoBehind := func() {
		if w.Latest() > 2 {
			v.Ack(w.Latest() - 2)
		}
	}
	check := func(phase string, most int) {
		if n := held() + len(v.spare); n > most {
			t.Fatalf("%s: %d snapshots held and %d spare, want at most %d in all", phase, held(), len(v.spare), most)
		}
	}
	for range 100 {
		s.step()
		build(ackTwoBehind)
		check("acking two behind", 3+maxSpare)
	}
	for range 2 * historyLen {
		s.step()
		build(func() {})
		check("no acks", historyLen+maxSpare)
	}
	if held() != historyLen {
		t.Fatalf("no acks: %d snapshots held, want all %d", held(), historyLen)
	}
	// Acking again frees history's room at once: the view keeps it (the
	// client may fall behind again) and never more than history's worth in
	// all; the room no Build needs goes within two windows of trimming.
	for i := range 100 {
		s.step()
		build(ackTwoBehind)
		check("acking again", historyLen+1)
		if i >= 2*historyLen {
			check("keeping up again", 3+maxSpare)
		}
	}
	for range 40 { // the crowd stands still: every change fits in time
		build(ackTwoBehind)
	}
	visible := s.see()
	if w.Len() != len(visible) {
		t.Fatalf("client sees %d entities, the player's view has %d", w.Len(), len(visible))
	}
	for _, e := range visible {
		if got, ok := w.Entity(e.ID); !ok || got.X != float64(e.X)/256 || got.Y != float64(e.Y)/256 || got.Health != e.Health {
			t.Fatalf("entity %d: client %+v (held %v), truth %+v", e.ID, got, ok, e)
		}
	}
}

// TestABehindClientsViewTakesNoNewMemory: a client falling behind acks in
// bursts (it takes in eight snapshots at once and acks the newest), or not
// at all for longer than history: its view's Builds reuse the room of the
// snapshots it no longer needs instead of taking new memory (about 4 KB a
// snapshot for 240 entities) at each, and hold no more than history's
// worth and maxSpare. Keeping only maxSpare, three Builds in four of a
// client acking in bursts took new memory (192 in 256).
func TestABehindClientsViewTakesNoNewMemory(t *testing.T) {
	s := newScene(5, 240)
	v := NewView(0, nil)
	tick := uint32(0)
	for _, c := range []struct {
		name string
		ack  func(build int)
	}{
		{"acking in bursts", func(i int) {
			if i%8 == 7 {
				v.Ack(v.Seq())
			}
		}},
		{"acking nothing", func(int) {}},
		{"acking two behind", func(int) { v.Ack(v.Seq() - 2) }},
	} {
		i := 0
		build := func() {
			s.step()
			tick++
			v.Build(s.see(), s.px, s.py, tick, 0)
			c.ack(i)
			i++
		}
		for range 3 * historyLen {
			build()
		}
		// Each Build's entry in history is a buffer the view held before
		// (in history or spare), or new memory. (Counting the process's
		// allocations instead read other tests' goroutines too.)
		fresh := 0
		for range 8 * historyLen {
			known := map[*Held]bool{}
			for _, h := range v.history {
				if cap(h.entities) > 0 {
					known[&h.entities[:1][0]] = true
				}
			}
			for _, sp := range v.spare {
				known[&sp[:1][0]] = true
			}
			build()
			if h := v.history[v.Seq()%historyLen].entities; cap(h) > 0 && !known[&h[:1][0]] {
				fresh++
			}
		}
		// A view in flux may outgrow a buffer now and then (what it sees
		// grows): at most one Build in historyLen.
		if fresh > 8 {
			t.Errorf("%s: %d Builds of %d took new memory", c.name, fresh, 8*historyLen)
		}
		held := 0
		for _, h := range v.history {
			if h.entities != nil {
				held++
			}
		}
		if held+len(v.spare) > historyLen+maxSpare {
			t.Errorf("%s: %d snapshots held and %d spare", c.name, held, len(v.spare))
		}
	}
}
