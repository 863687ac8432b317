package gateway

import (
	"slices"

	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
)

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
			if z.refs[c]++; z.refs[c] == 1 {
				add = append(add, c)
			}
		}
	}
	for _, c := range p.cells {
		if !slices.Contains(want, c) {
			if z.refs[c]--; z.refs[c] == 0 {
				delete(z.refs, c)
				drop = append(drop, c)
				cxx, cyy := uint16(c&0xffff), uint16(c>>16)
				z.mirror.Drop(cxx, cyy)
			}
		}
	}
	p.cells, p.centre = want, centre
	if len(add) > 0 {
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Volatile: true, Payload: g.zenc.Subscribe(add)})
	}
	if len(drop) > 0 {
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Volatile: true, Payload: g.zenc.Unsubscribe(drop)})
	}
}
