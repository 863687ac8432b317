package gateway

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// HandlePeer brings players back into a zone that restarted (zoneback.go)
// and tells a realm node that restarted who is here; other links come and
// go on their own.
func (g *Node) HandlePeer(_ *node.Node, e node.PeerEvent) {
	if !e.Up || !e.Restarted {
		return
	}
	if g.isRealmNode(e.Peer) {
		g.reportPlayers(e.Peer)
		return
	}
	g.mu.Lock()
	z := g.zones[e.Peer]
	g.mu.Unlock()
	if z != nil {
		g.zoneRestarted(z)
	}
}

// HandleMessage takes a zone's tick: it updates the mirror, then sends
// each of the zone's players its snapshot and forwards their inputs.
func (g *Node) HandleMessage(_ *node.Node, m node.Message) {
	if m.Kind == kinds.Gateway {
		g.sibling(m)
		return
	}
	if m.Kind != kinds.Zone {
		return
	}
	var msg wire.ZoneMessage
	if err := codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg); err != nil {
		return
	}
	if msg.BodyType() == wire.ZoneBodyZoneHandedOff {
		var h wire.ZoneHandedOff
		codec.Member(msg.Body, &h)
		g.handedOff(m.From, codec.ReadHandedOff(&h))
		return
	}
	if msg.BodyType() != wire.ZoneBodyZoneTick {
		return
	}
	var tick wire.ZoneTick
	codec.Member(msg.Body, &tick)
	g.mu.Lock()
	defer g.mu.Unlock()
	z := g.zones[m.From]
	if z == nil {
		return
	}
	g.metrics.playerTicks.Add(float64(len(z.byNet)))
	g.applyCells(z, &tick)
	g.forwardEvents(z, &tick)
	g.movePlayers(z, &tick)
	now := g.clock.Now()
	late := now.Sub(time.UnixMilli(tick.TickUnixMs()))
	g.late.add(late, now)
	if !passNow(late, now.Sub(z.lastPass)) {
		g.metrics.passesSkipped.Inc()
		return
	}
	z.lastPass = now
	b := z.pacer.begin(z.tickLen)
	defer z.pacer.commit(b)
	g.pass(z, b, tick.Tick(), tick.TickUnixMs())
	if len(z.inputs) > 0 {
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Volatile: true, Payload: g.zenc.Inputs(z.inputs)})
	}
}

// A gateway behind its zones skips the snapshot pass of a tick older than
// staleTick, as long as it passed within minPassEvery: it catches up on the
// cells (cheap) and builds snapshots from the freshest tick it has.
const (
	staleTick    = 100 * time.Millisecond
	minPassEvery = 250 * time.Millisecond
)

// passNow decides whether a tick that arrived late after the zone ticked,
// sinceLast after the last pass, gets its snapshot pass. Behind (late past
// staleTick), its snapshots would leave stale and fresher ticks are queued:
// its cells go into the mirror, and the pass (the costly part) waits for a
// fresher tick, though never longer than minPassEvery — fewer snapshots
// under pressure, not stale ones, and never none.
func passNow(late, sinceLast time.Duration) bool {
	return late <= staleTick || sinceLast >= minPassEvery
}

// applyCells brings the mirror up to date with the tick's cell deltas
// (applyCell); g.mu is held.
func (g *Node) applyCells(z *zoneView, tick *wire.ZoneTick) {
	var cell wire.ZoneCell
	var ch spatial.CellChanges
	for i := 0; i < tick.CellsLength(); i++ {
		tick.Cells(&cell, i)
		if err := codec.ReadCellDelta(cell.DeltaBytes(), 1<<20, &ch); err != nil {
			g.log.Warn("gateway: bad cell delta from zone", "zone", z.id, "err", err)
			continue
		}
		g.applyCell(z, &ch)
	}
}

// forwardEvents queues the tick's events for their players' streams (their
// writers send them), and keeps those of players not held in the zone yet
// (early.go); g.mu is held.
func (g *Node) forwardEvents(z *zoneView, tick *wire.ZoneTick) {
	var ev wire.ZonePlayerEvent
	now := g.clock.Now()
	z.pruneEarly(now)
	z.pruneNames(now, false)
	for i := 0; i < tick.EventsLength(); i++ {
		tick.Events(&ev, i)
		place := partyPlace{leader: ev.PartyLeader(), joined: ev.PartyJoined()} // a Party's only
		if p := g.playerIn(z.id, ev.Character()); p != nil && !p.arriving && !p.replaying {
			g.queueEvent(z, p, ev.MessageBytes(), place)
		} else {
			g.holdEarly(z, ev.Character(), ev.MessageBytes(), place, now)
		}
	}
}

// movePlayers moves the views of the players the zone says changed cells,
// even far from the cells mirrored so far (a respawn); g.mu is held.
func (g *Node) movePlayers(z *zoneView, tick *wire.ZoneTick) {
	var at wire.ZonePlayerAt
	for i := 0; i < tick.PlayersLength(); i++ {
		tick.Players(&at, i)
		if p := z.byNet[at.NetId()]; p != nil {
			p.px, p.py = at.X(), at.Y()
			p.auth.Store(pack(p.px, p.py))
			g.watch(z, p)
		}
	}
}

// pass builds the snapshot of every player in the zone whose snapshot is
// due (every tick, or fewer when the gateway sheds: shed.go) into the
// tick's batch, and takes every player's newest input for the zone; g.mu
// is held.
func (g *Node) pass(z *zoneView, b *batch, tick uint32, tickUnixMs int64) {
	z.inputs = z.inputs[:0]
	z.nextPass()
	every := g.snapshotEvery()
	defer g.noteLags(z, every)
	for _, p := range g.players {
		if p.zone != z.id {
			continue
		}
		if p.due(tick, every) && g.snapshot(z, p, b, tick, tickUnixMs, every) {
			p.lastSnap = tick
		}
		if in := p.input.Swap(nil); in != nil {
			z.inputs = append(z.inputs, codec.ZoneInput{Character: p.character, X: in.X, Y: in.Y, Seq: in.Seq, Actions: in.Actions,
				MoveX: in.MoveX, MoveY: in.MoveY, Heading: in.Heading})
		}
	}
}

// selfWait is how many passes in a row a player's snapshot waits for the
// gateway's mirror to show the player itself. A snapshot without it shows
// the client a world without its own avatar, and it comes in windows the
// mirror closes a tick or two later: a zone answers an entry before the
// tick that carries the new entity reaches the gateway (make travel: 9
// such snapshots in about 9,000 handoffs, each the first after an
// arrival), and a zone handing a player off takes its entity out of its
// cells before the gateway hears where it went. Past selfWait, snapshots
// go out without it (blind, below): the gap is the mirror's.
const selfWait = 10

// snapshot builds one player's datagram into the tick's batch, every
// ticks after its last, and reports whether it did (not while it waits
// for the player's own entity: selfWait); g.mu is held.
func (g *Node) snapshot(z *zoneView, p *player, b *batch, tick uint32, tickUnixMs int64, every uint32) bool {
	g.lagOf(z, p, every)
	visible := z.sight(p)
	i, self := slices.BinarySearchFunc(visible, p.netID, func(e Entity, id uint32) int { return cmp.Compare(e.ID, id) })
	switch {
	case self:
		p.selfWait = selfWait
	case p.selfWait > 0:
		p.selfWait-- // due again at the next pass
		g.metrics.selfWaits.Inc()
		return false
	}
	if self {
		p.px, p.py = visible[i].X, visible[i].Y // where the zone has it
		p.auth.Store(pack(p.px, p.py))
	}
	p.view.Ack(p.ack.Load())
	shown := z.nearby.nearest(visible, p.view.Shown(), p.party, p.netID, p.px, p.py, z.maxVisible)
	g.metrics.sight.Observe(float64(len(visible)))
	if len(shown) < len(visible) {
		g.metrics.capped.Inc()
	}
	out := p.view.Build(shown, p.px, p.py, tick, tickUnixMs)
	g.metrics.snapshots.Inc()
	g.metrics.snapshotBytes.Add(float64(len(out)))
	if len(out) > p.view.budget {
		g.metrics.overBudget.Inc()
	}
	b.add(p.s, out)
	if self { // what the client can claim from: a snapshot without it shows it nothing
		p.shown.put(p.view.Seq(), p.px, p.py)
		p.blind = 0
	} else if p.blind++; p.blind == len(p.shown.seq) {
		g.blind(z, p, len(visible))
	}
	p.sent.Store(p.view.Seq())
	g.watch(z, p) // the player may have walked into another cell
	return true
}

// blind tells of a player its snapshots have not shown itself for as long
// as the gateway remembers what they showed (3.2 s): its claims are then
// not counted against it (validate.go), and an operator should know where
// the gateway looked. Every such streak is counted; one a second is logged
// (after a zone restart, every player of the zone is blind at once). g.mu
// is held.
func (g *Node) blind(z *zoneView, p *player, visible int) {
	g.metrics.blind.Inc()
	now := g.clock.Now()
	if now.Sub(g.blindLogged) < time.Second {
		return
	}
	g.blindLogged = now
	cx, cy := p.px/z.cellSize, p.py/z.cellSize
	c := uint32(cy)<<16 | uint32(cx)
	held := z.mirror.EachIn(uint16(cx), uint16(cy), func(*spatial.MirrorEntity, int32, int32) {})
	g.log.Warn("gateway: a player has not been shown itself for 64 snapshots", "character", p.character, "zone", z.id,
		"position", fmt.Sprintf("(%.1f, %.1f)", float64(p.px)/spatial.PosSteps, float64(p.py)/spatial.PosSteps),
		"cell", fmt.Sprintf("(%d, %d)", cx, cy), "cell_mirrored", held, "cell_watchers", z.refs[c],
		"awaiting_full_state", z.awaiting[c], "cells_watched", len(p.cells), "visible", visible)
}
