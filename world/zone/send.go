package zone

import (
	"fmt"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
)

// playersMoved lists, per gateway, its players that are in another cell
// than the gateway was last told: a gateway finds its players in the cells
// it mirrors, which fails when one is moved far (a respawn at its spawn
// point).
func (zn *Node) playersMoved() {
	for g := range zn.names {
		zn.moved[g] = zn.moved[g][:0]
	}
	for _, p := range zn.players {
		g, ok := zn.gateways[p.gateway]
		if !ok || !zn.zone.World.ECS.Alive(p.entity) {
			continue
		}
		r := zn.rep.Get(p.entity) // the interest system keeps its cell
		if r.Cell == p.cell {
			continue
		}
		p.cell = r.Cell
		pos := zn.pos.Get(p.entity)
		zn.moved[g] = append(zn.moved[g], codec.PlayerAt{NetID: r.NetID,
			X: spatial.QuantizeCoord(float64(pos.X)), Y: spatial.QuantizeCoord(float64(pos.Y))})
	}
}

// send gives each gateway this tick's cells, in one message.
func (zn *Node) send(w *ecs.World) {
	out := zn.zone.Publisher.Output()
	for g := range zn.names {
		zn.cells[g] = zn.cells[g][:0]
	}
	for _, c := range out.Cells {
		for g := range zn.names {
			if c.Gateways&(1<<g) != 0 {
				zn.cells[g] = append(zn.cells[g], c.Bytes)
			}
		}
	}
	for _, f := range out.Full {
		zn.cells[f.Gateway] = append(zn.cells[f.Gateway], f.Bytes)
	}
	zn.playersMoved()
	for g := range zn.names {
		zn.gwEvents[g] = zn.gwEvents[g][:0]
	}
	kept := zn.events[:0]
	for _, ev := range zn.events {
		p := zn.players[ev.Character]
		if p == nil {
			continue // gone: its events with it
		}
		g, ok := zn.gateways[p.gateway]
		if !ok {
			kept = append(kept, ev) // its gateway has not subscribed yet
			continue
		}
		zn.gwEvents[g] = append(zn.gwEvents[g], ev)
	}
	zn.events = kept
	now := zn.clock.Now().UnixMilli()
	for g, name := range zn.names {
		if name == "" {
			continue
		}
		// A tick goes out even when nothing changed: the gateway forwards
		// its players' inputs on each tick, and a lone player standing in
		// a quiet zone must be able to start walking.
		payload := zn.enc.Tick(uint32(w.Time.Tick), now, zn.cells[g], zn.moved[g], zn.gwEvents[g])
		err := zn.node.Send(name, node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Volatile: true, Payload: payload})
		// Said once when sends start failing and once when they recover,
		// not twenty times a second.
		switch {
		case err != nil && !zn.unsent[g]:
			zn.log.Warn("zone: ticks not sent", "gateway", name, "tick", w.Time.Tick, "err", fmt.Sprint(err))
		case err == nil && zn.unsent[g]:
			zn.log.Info("zone: ticks sent again", "gateway", name, "tick", w.Time.Tick)
		}
		zn.unsent[g] = err != nil
		if err != nil {
			zn.metrics.ticksUnsent.Inc()
		}
	}
}
