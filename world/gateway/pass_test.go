package gateway

import (
	"cmp"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
)

// BenchmarkGatewayPass: a gateway's snapshot pass for one zone tick, per
// player: the cells' deltas applied to the mirror, then for every player
// what it sees (gathered from the mirror and sorted by ID) and its
// snapshot built into the tick's batch; no sends (the datagram benchmark
// has them). In the crowd, 100 players and 60 NPCs stand in one cell and
// every player sees all of them; in the spread, each of 100 players has
// its own 3 x 3 cells, with 20 NPCs in each. 60% of the entities move
// each tick, and players ack two snapshots behind.
func BenchmarkGatewayPass(b *testing.B) {
	const players = 100
	const crowdCell = 40<<16 | 40
	for _, scene := range []struct {
		name string
		cell func(player int) uint32 // where a player stands
		npcs func(cell uint32) int   // NPCs in each watched cell
	}{
		{"crowd", func(int) uint32 { return crowdCell }, func(cell uint32) int {
			if cell == crowdCell {
				return 60
			}
			return 0
		}},
		{"spread", func(i int) uint32 { return uint32(40+3*(i/10))<<16 | uint32(40+3*(i%10)) }, // 3 cells apart: views do not overlap
			func(uint32) int { return 20 }},
	} {
		b.Run(scene.name, func(b *testing.B) {
			cells := make([]uint32, players)
			for i := range cells {
				cells[i] = scene.cell(i)
			}
			g, z, ticks := passScene(b, cells, scene.npcs)
			var bt batch
			tick := 0
			step := func() {
				for i := range ticks[tick%len(ticks)] {
					if err := z.mirror.Apply(&ticks[tick%len(ticks)][i]); err != nil {
						b.Fatal(err)
					}
				}
				tick++
				bt.arena, bt.sends = bt.arena[:0], bt.sends[:0]
				g.pass(z, &bt, uint32(tick), 0)
				for _, p := range z.byNet {
					if seq := p.view.Seq(); seq > 1 {
						p.ack.Store(seq - 1) // two behind at the next build
					}
				}
			}
			for range 64 { // warm: histories and buffers at their size
				step()
			}
			cpu0 := processCPU()
			for b.Loop() {
				step()
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N*players), "cpu-ns/player")
			b.ReportMetric(float64(len(bt.arena))/float64(len(bt.sends)), "bytes/datagram")
			for _, p := range z.byNet {
				if p.view.OverBudget > 0 {
					b.Fatalf("player %d: %d snapshots over budget", p.netID, p.view.OverBudget)
				}
			}
		})
	}
}

// passScene makes a gateway (its node not started: the subscriptions it
// sends go nowhere) with one zone mirrored in full: a player standing in
// each of cells (cy<<16 | cx), npcs(cell) NPCs in each cell they watch.
// It returns 64 ticks of moves (60% of the entities, within their cells)
// as cell deltas, to apply in turn.
func passScene(tb testing.TB, cells []uint32, npcs func(cell uint32) int) (*Node, *zoneView, [][]spatial.CellChanges) {
	n, err := node.New(node.Config{ID: "gateway-bench", Secret: []byte("a bench secret of thirty-two bytes!")})
	if err != nil {
		tb.Fatal(err)
	}
	g := &Node{clock: ecs.RealClock{}, node: n, zenc: codec.NewZoneEncoder(), players: map[playerKey]*player{}, zones: map[string]*zoneView{}, loads: map[string]*siblingLoad{}, scratch: NewScratch(),
		log: slog.New(slog.DiscardHandler)}
	g.metrics = g.newMetrics()
	const cellSize = 32                      // metres
	const span = cellSize * spatial.PosSteps // a cell's side, wire units
	z := &zoneView{id: "zone", mirror: spatial.NewMirror(), refs: map[uint32]int{}, byNet: map[uint32]*player{},
		cellSize: span, tickLen: 50 * time.Millisecond, sights: map[uint64]*sight{}}
	g.zones[z.id] = z

	rng := rand.New(rand.NewPCG(3, 4))
	type mobile struct {
		cell uint32 // cy<<16 | cx
		slot uint16
		x, y int // in the cell, wire units
	}
	var all []*mobile
	full := map[uint32]*spatial.CellChanges{}
	place := func(cell uint32) *mobile {
		c := full[cell]
		if c == nil {
			c = &spatial.CellChanges{CX: uint16(cell), CY: uint16(cell >> 16), CellSize: cellSize, Full: true}
			full[cell] = c
		}
		m := &mobile{cell: cell, slot: uint16(len(c.Enters)), x: rng.IntN(span), y: rng.IntN(span)}
		c.Enters = append(c.Enters, spatial.Enter{ID: uint32(len(all) + 1), Slot: m.slot, Template: uint16(len(all) % 7),
			X: uint16(m.x), Y: uint16(m.y), Health: 255, Level: 3})
		all = append(all, m)
		return m
	}
	for _, cell := range cells {
		cx, cy := int32(cell&0xffff), int32(cell>>16)
		m := place(cell)
		netID := uint32(len(all))
		p := &player{netID: netID, character: uint64(netID), zone: z.id, view: NewView(0, g.scratch),
			px: cx*span + int32(m.x), py: cy*span + int32(m.y)}
		p.view.Self = netID
		g.players[p.key()], z.byNet[netID] = p, p
		g.watch(z, p)
	}
	for cell := range z.refs {
		for range npcs(cell) {
			place(cell)
		}
	}
	for _, c := range full {
		if err := z.mirror.Apply(c); err != nil {
			tb.Fatal(err)
		}
	}
	ticks := make([][]spatial.CellChanges, 64)
	for t := range ticks {
		moves := map[uint32]*spatial.CellChanges{}
		for _, m := range all {
			if rng.IntN(10) >= 6 {
				continue
			}
			m.x = min(max(m.x+rng.IntN(161)-80, 0), span-1)
			m.y = min(max(m.y+rng.IntN(161)-80, 0), span-1)
			c := moves[m.cell]
			if c == nil {
				c = &spatial.CellChanges{CX: uint16(m.cell), CY: uint16(m.cell >> 16), CellSize: cellSize, Tick: uint32(t)}
				moves[m.cell] = c
			}
			c.Moves = append(c.Moves, spatial.Move{Slot: m.slot, X: uint16(m.x), Y: uint16(m.y)})
		}
		for _, c := range moves {
			ticks[t] = append(ticks[t], *c)
		}
	}
	return g, z, ticks
}

// TestPlayersSeeTheirCells: through a snapshot pass, each player's client
// holds exactly the mirrored entities of the 3 x 3 cells around it, with
// players sharing a cell (who share what they see), players whose views
// overlap from next-door cells, and one alone.
func TestPlayersSeeTheirCells(t *testing.T) {
	at := func(cx, cy uint32) uint32 { return cy<<16 | cx }
	cells := []uint32{at(40, 40), at(40, 40), at(40, 40), at(41, 40), at(41, 40), at(50, 50)}
	g, z, ticks := passScene(t, cells, func(uint32) int { return 4 })
	players, worlds := playersOf(z)
	for tick := range 40 {
		playPass(t, g, z, players, worlds, tick, ticks[tick])
		for i, p := range players {
			want, self := 0, false
			for _, c := range p.cells {
				z.mirror.EachIn(uint16(c&0xffff), uint16(c>>16), func(e *spatial.MirrorEntity, x, y int32) {
					want++
					if e.ID == p.netID { // the gateway follows the zone's position of the player
						self = true
						if p.px != x || p.py != y || p.auth.Load() != pack(x, y) {
							t.Fatalf("tick %d, player %d: the zone has it at (%d, %d), the gateway at (%d, %d)", tick, p.netID, x, y, p.px, p.py)
						}
					}
					got, ok := worlds[i].Entity(e.ID)
					if !ok || got.X != float64(x)/256 || got.Y != float64(y)/256 || got.Heading != e.Heading {
						t.Fatalf("tick %d, player %d: entity %d is at (%d, %d)/256, the client has %+v (%v)", tick, p.netID, e.ID, x, y, got, ok)
					}
				})
			}
			if !self {
				t.Fatalf("tick %d, player %d: not in its own cells", tick, p.netID)
			}
			if worlds[i].Len() != want {
				t.Fatalf("tick %d, player %d: the client holds %d entities, its cells %d", tick, p.netID, worlds[i].Len(), want)
			}
		}
		if len(z.sights) != 3 {
			t.Fatalf("tick %d: %d sights for players around 3 cells", tick, len(z.sights))
		}
	}
}

// playersOf returns a zone view's players in netID order, and a client
// world for each.
func playersOf(z *zoneView) ([]*player, []client.World) {
	players := slices.SortedFunc(maps.Values(z.byNet), func(a, b *player) int { return cmp.Compare(a.netID, b.netID) })
	return players, make([]client.World, len(players))
}

// playPass applies one tick's cell deltas to the mirror, then builds each
// player's snapshot, as a pass does, and applies it to the player's client
// world, which acknowledges it.
func playPass(t *testing.T, g *Node, z *zoneView, players []*player, worlds []client.World, tick int, deltas []spatial.CellChanges) {
	t.Helper()
	for i := range deltas {
		if err := z.mirror.Apply(&deltas[i]); err != nil {
			t.Fatal(err)
		}
	}
	var bt batch
	var snap codec.Snapshot
	z.nextPass()
	for i, p := range players {
		g.snapshot(z, p, &bt, uint32(tick+1), 0, 1)
		sent := bt.sends[len(bt.sends)-1]
		if err := codec.ReadSnapshot(bt.arena[sent.start:sent.end], &snap); err != nil {
			t.Fatal(err)
		}
		if err := worlds[i].Apply(&snap); err != nil {
			t.Fatalf("tick %d, player %d: %v", tick, p.netID, err)
		}
		p.ack.Store(worlds[i].Latest())
	}
}

// TestBehindGatewaysPassLessOften: a gateway behind its zones (a tick
// 100 ms or more old when it arrives) skips the pass of such ticks, but
// passes at least every 250 ms; on time, it passes every tick. Played over
// a backlog of ticks drained late: snapshots still go out about four times
// a second, never more often.
func TestBehindGatewaysPassLessOften(t *testing.T) {
	for _, c := range []struct {
		late, since time.Duration
		pass        bool
	}{
		{0, 0, true}, {staleTick, 0, true}, {staleTick + 1, 0, false},
		{time.Second, minPassEvery - 1, false}, {time.Second, minPassEvery, true},
	} {
		if got := passNow(c.late, c.since); got != c.pass {
			t.Errorf("late %v, %v since the last pass: pass %v, want %v", c.late, c.since, got, c.pass)
		}
	}
	// Ticks every 50 ms that arrive 400 ms late, handled 20 ms apart (a
	// backlog draining): 5 s of them.
	var lastPass time.Time
	passes := 0
	start := time.Unix(1000, 0)
	for i := range 250 {
		now := start.Add(time.Duration(i) * 20 * time.Millisecond)
		if passNow(400*time.Millisecond, now.Sub(lastPass)) {
			if !lastPass.IsZero() && now.Sub(lastPass) < minPassEvery {
				t.Fatalf("passed %v after the last", now.Sub(lastPass))
			}
			lastPass = now
			passes++
		}
	}
	if passes < 19 || passes > 21 { // 5 s at one pass every 260 ms (the first handling past 250 ms)
		t.Fatalf("%d passes in 5 s behind, want about 20", passes)
	}
}

// TestAnArrivalWaitsForItself: a player whose entity the gateway does not
// mirror (just entered: the zone's answer came before the tick carrying
// it) gets no snapshot for up to selfWait passes, and is due again at
// each; one mirrored gets its snapshot at once; past selfWait the
// snapshots go out without it.
func TestAnArrivalWaitsForItself(t *testing.T) {
	cells, npcs := shedScene()
	g, z, _ := passScene(t, cells[:2], npcs)
	ps, _ := playersOf(z)
	here, late := ps[0], ps[1]
	here.selfWait = selfWait
	delete(z.byNet, late.netID)
	late.netID, late.view.Self, late.selfWait = 99999, 99999, selfWait // its entity not in the mirror yet
	z.byNet[late.netID] = late
	sent := func(tick uint32) int {
		var b batch
		g.mu.Lock()
		g.pass(z, &b, tick, 0)
		g.mu.Unlock()
		return len(b.sends)
	}
	for tick := uint32(1); tick <= selfWait; tick++ {
		if n := sent(tick); n != 1 {
			t.Fatalf("pass %d: %d snapshots, want only the mirrored player's", tick, n)
		}
		if here.selfWait != selfWait || late.lastSnap != 0 {
			t.Fatalf("pass %d: the mirrored player waits %d more, the other's last snapshot is at tick %d", tick, here.selfWait, late.lastSnap)
		}
	}
	if n := sent(selfWait + 1); n != 2 || late.lastSnap != selfWait+1 {
		t.Fatalf("past selfWait: %d snapshots, the unmirrored player's last at tick %d", n, late.lastSnap)
	}
	// A player shown itself that the mirror loses (its zone took its
	// entity out handing it off, before the gateway heard where it went)
	// waits as well.
	delete(z.byNet, here.netID)
	here.netID, here.view.Self = 99998, 99998
	z.byNet[here.netID] = here
	for tick := uint32(selfWait + 2); tick < 2*selfWait+2; tick++ {
		if n := sent(tick); n != 1 || here.lastSnap != selfWait+1 {
			t.Fatalf("pass %d: %d snapshots, the player who lost itself last sent one at tick %d", tick, n, here.lastSnap)
		}
	}
	if n := sent(2*selfWait + 2); n != 2 {
		t.Fatalf("past selfWait: %d snapshots", n)
	}
}
