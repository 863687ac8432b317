package gateway

import (
	"slices"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
)

// A gateway holds one subscription per cell at a zone, however many of its
// players watch it: z.refs counts the players, and the zone hears Subscribe
// when the first starts and Unsubscribe when the last stops. Those messages
// cross the zone's cell deltas in flight, so the gateway keeps three rules:
//
//   - a cell's delta or full state that arrives while no player watches it
//     was sent before the zone took the Unsubscribe: it is skipped, and asks
//     for nothing;
//   - a watched cell waiting for its full state (awaiting) skips its deltas
//     until it comes, instead of finding them out of step;
//   - a watched cell out of step is asked for whole once, until it comes.
//
// And the zone takes both messages idempotently (zone/gateways.go). Before
// both, a delta in flight after an Unsubscribe asked for its cell again,
// the zone counted that as a second reference, and from then on the
// gateway's requests for the cell brought no full state: in an overload run
// players went unshown for tens of seconds (players_blind_total,
// TestACellOutOfStepComesBackWhole).

// watch points a player's subscriptions at the cells within the zone's
// view radius of its own (the 3 × 3 block by default);
// g.mu is held.
func (g *Node) watch(z *zoneView, p *player) {
	cx, cy := p.px/z.cellSize, p.py/z.cellSize
	centre := uint64(uint32(cy))<<32 | uint64(uint32(cx))
	if p.cells != nil && centre == p.centre {
		return
	}
	var want []uint32
	r := max(z.viewRadius, 1) // a zone too old to say has the 3 × 3 block
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if cx+dx >= 0 && cy+dy >= 0 {
				want = append(want, uint32(cy+dy)<<16|uint32(cx+dx))
			}
		}
	}
	var add, drop []uint32
	for _, c := range want {
		if !slices.Contains(p.cells, c) {
			add = append(add, c)
		}
	}
	for _, c := range p.cells {
		if !slices.Contains(want, c) {
			drop = append(drop, c)
		}
	}
	p.cells, p.centre = want, centre
	g.startWatching(z, add)
	g.stopWatching(z, drop)
}

// unwatch ends a player's subscriptions in a zone it leaves; g.mu is held.
func (g *Node) unwatch(z *zoneView, p *player) {
	g.stopWatching(z, p.cells)
	p.cells = nil
}

// startWatching counts one more player watching each of cells, and asks
// the zone for those it is the first to watch: each waits for its full
// state. g.mu is held.
func (g *Node) startWatching(z *zoneView, cells []uint32) {
	var first []uint32
	for _, c := range cells {
		if z.refs[c]++; z.refs[c] == 1 {
			first = append(first, c)
			z.await(c)
		}
	}
	if len(first) > 0 {
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Volatile: true, Payload: g.zenc.Subscribe(first)})
	}
}

// stopWatching counts one player fewer watching each of cells, and tells
// the zone of those no player watches any more, which are forgotten. g.mu
// is held.
func (g *Node) stopWatching(z *zoneView, cells []uint32) {
	var last []uint32
	for _, c := range cells {
		if z.refs[c]--; z.refs[c] > 0 {
			continue
		}
		last = append(last, c)
		delete(z.refs, c)
		delete(z.awaiting, c)
		z.mirror.Drop(uint16(c&0xffff), uint16(c>>16))
	}
	if len(last) > 0 {
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Volatile: true, Payload: g.zenc.Unsubscribe(last)})
	}
}

// applyCell brings the mirror up to date with one cell's delta or full
// state, under the rules above; g.mu is held.
func (g *Node) applyCell(z *zoneView, ch *spatial.CellChanges) {
	c := uint32(ch.CY)<<16 | uint32(ch.CX)
	if z.refs[c] == 0 {
		g.metrics.cellsUnwatched.Inc()
		return // sent before the zone took this gateway's Unsubscribe
	}
	if ch.Full {
		delete(z.awaiting, c)
	} else if z.awaiting[c] {
		return // before the full state asked for
	}
	if err := z.mirror.Apply(ch); err != nil {
		// Out of step: forget the cell and ask for it whole, once.
		g.log.Debug("gateway: cell out of step, asking for it whole", "zone", z.id, "err", err)
		g.metrics.cellsResent.Inc()
		z.mirror.Drop(ch.CX, ch.CY)
		z.await(c)
		// Unsubscribe then Subscribe: a zone before idempotent subscriptions
		// (zone/gateways.go) sends the full state only so.
		cells := []uint32{c}
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Volatile: true, Payload: g.zenc.Unsubscribe(cells)})
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Volatile: true, Payload: g.zenc.Subscribe(cells)})
	}
}

// await marks a cell as waiting for its full state.
func (z *zoneView) await(c uint32) {
	if z.awaiting == nil {
		z.awaiting = map[uint32]bool{}
	}
	z.awaiting[c] = true
}
