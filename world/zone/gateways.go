package zone

import (
	"github.com/gridrealm/gridrealm/world"
)

// gatewayID returns the publisher's id for a gateway, taking a free one
// the first time the gateway subscribes. Ids are few (world.MaxGateways):
// a gateway that holds no subscription and forwards no player gives its id
// back (release), so gateways that come and go never run the zone out.
func (zn *Node) gatewayID(peer string) (world.GatewayID, bool) {
	if g, ok := zn.gateways[peer]; ok {
		return g, true
	}
	for i, name := range zn.names {
		if name == "" {
			zn.gateways[peer], zn.names[i] = world.GatewayID(i), peer
			return world.GatewayID(i), true
		}
	}
	if len(zn.names) >= world.MaxGateways {
		zn.log.Error("zone: too many gateways", "peer", peer, "max", world.MaxGateways)
		return 0, false
	}
	g := world.GatewayID(len(zn.names))
	zn.gateways[peer] = g
	zn.names = append(zn.names, peer)
	return g, true
}

// release gives a gateway's id back when it watches nothing and forwards
// no player of this zone.
func (zn *Node) release(peer string) {
	g, ok := zn.gateways[peer]
	if !ok || zn.zone.Publisher.Watching(g) {
		return
	}
	for _, p := range zn.players {
		if p.gateway == peer {
			return
		}
	}
	for _, pe := range zn.pending {
		if pe.gateway == peer {
			return
		}
	}
	delete(zn.gateways, peer)
	zn.names[g] = ""
	zn.cells[g], zn.moved[g], zn.gwEvents[g], zn.unsent[g] = zn.cells[g][:0], zn.moved[g][:0], zn.gwEvents[g][:0], false
}

// subscribe takes a gateway's Subscribe (on) or Unsubscribe of cells. A
// gateway holds one subscription per cell however many of its players
// watch it, so both are idempotent: a Subscribe of a cell it holds asks for
// the cell whole again, an Unsubscribe ends it. (Counted, one stray message
// left a zone a reference ahead of its gateway, and the gateway's later
// requests for a cell it had lost brought no full state: players unshown
// for tens of seconds in an overload run.)
func (zn *Node) subscribe(peer string, n int, at func(int) uint32, on bool) {
	g, ok := zn.gatewayID(peer)
	if !ok {
		return
	}
	nx, ny := zn.zone.Cells.Dims()
	for i := 0; i < n; i++ {
		idx := at(i)
		cx, cy := int(idx&0xffff), int(idx>>16)
		if cx >= nx || cy >= ny {
			continue // outside the map: ignored
		}
		cell := int32(cy*nx + cx)
		pub := zn.zone.Publisher
		switch {
		case on && pub.Holds(g, cell):
			pub.Resend(g, cell) // its copy went out of step
		case on:
			pub.Subscribe(g, cell)
		default:
			pub.Unsubscribe(g, cell) // its one reference (none: ignored)
		}
	}
	if !on {
		zn.release(peer)
	}
}
