package zone

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/world"
)

// Handoff across a border (the state machine is written down in
// ARCHITECTURE.md, "Handoff"). The source zone drives it:
//
//  1. A player at an edge with a neighbour beyond, walking out, is
//     frozen (its inputs are ignored) and the source writes its
//     checkpoint as the target's, at the arrival point, with the source's
//     epoch (write).
//  2. The source asks the target to enter the character (ZoneEnterPlayer);
//     the target loads it, claims it with a new epoch — from then on a
//     write of the source is refused — and spawns it (claim, spawn).
//  3. On the target's answer the source takes the entity out without a
//     save, and tells the player's gateway (ZoneHandedOff), which moves
//     the player's view and tells the client and the realm (done).
//
// A failure before the claim (the db, the target refusing or not
// answering) aborts: the source writes the checkpoint back as its own and
// unfreezes the player. If that write is refused, the target claimed after
// all: the source lets go and the gateway enters the player into the
// target itself, retrying while the target restarts.

// Edge is a side of a zone's map.
type Edge uint8

// The edges; north is +y.
const (
	East Edge = iota + 1
	West
	North
	South
)

func (e Edge) String() string {
	switch e {
	case East:
		return "east"
	case West:
		return "west"
	case North:
		return "north"
	case South:
		return "south"
	}
	return fmt.Sprintf("edge(%d)", uint8(e))
}

// ParseEdge reads east, west, north or south.
func ParseEdge(s string) (Edge, error) {
	for e := East; e <= South; e++ {
		if e.String() == s {
			return e, nil
		}
	}
	return 0, fmt.Errorf("edge %q: want east, west, north or south", s)
}

// Neighbour is the zone beyond one edge of this zone's map: a player who
// walks off that edge is handed off to it, arriving at the matching point
// of its opposite edge. Zones side by side have maps of the same size.
type Neighbour struct {
	Edge Edge
	Zone string // its node id, which is its zone name
	Addr string // its link address
}

// Handoff geometry: a player within borderBand of an edge, walking out, is
// handed off; it arrives arrivalInset inside the target's opposite edge
// (outside the target's own band, so it does not bounce back).
const (
	borderBand   = 1.5
	arrivalInset = 3.0
	// abortCooldown is how long a player whose handoff failed stays before
	// another is tried.
	abortCooldown = 5 * time.Second
)

// Portal is a portal of the zone's map with the link address of the zone
// it leads to.
type Portal struct {
	world.Portal
	Addr string
}

// handoff is a player's handoff under way.
type handoff struct {
	to      Neighbour
	started time.Time
	party   partyRole // the player's party when the handoff began: the target's to keep
}

// borders starts the handoff of every player walking off an edge with a
// neighbour beyond. Run every tick, after movement.
func (zn *Node) borders(*ecs.World) {
	if len(zn.cfg.Neighbours) == 0 && len(zn.cfg.Portals) == 0 {
		return
	}
	now := zn.clock.Now()
	w, h := zn.zone.Terrain.Size()
	for _, p := range zn.players {
		pos, in := zn.pos.Get(p.entity), zn.input.Get(p.entity)
		portal := zn.portalAt(pos.X, pos.Y)
		stepped := portal >= 0 && !p.inPortal // kept up while it waits, too
		p.inPortal = portal >= 0
		if p.handoff != nil || now.Before(p.noHandoffUntil) {
			continue
		}
		if stepped {
			zn.takePortal(p, zn.cfg.Portals[portal])
			continue
		}
		for _, n := range zn.cfg.Neighbours {
			var out bool
			ax, ay := pos.X, pos.Y
			switch n.Edge {
			case East:
				out, ax = pos.X >= w-borderBand && in.MoveX > 0, arrivalInset
			case West:
				out, ax = pos.X <= borderBand && in.MoveX < 0, w-arrivalInset
			case North:
				out, ay = pos.Y >= h-borderBand && in.MoveY > 0, arrivalInset
			case South:
				out, ay = pos.Y <= borderBand && in.MoveY < 0, h-arrivalInset
			}
			if out {
				zn.startHandoff(p, n, ax, ay)
				break
			}
		}
	}
}

// takePortal hands off a player who stepped into a portal (one who
// appears in a portal, arriving through one, must step out first): to the
// portal's zone, or into an instance the realm opens for its party.
func (zn *Node) takePortal(p *player, pt Portal) {
	if template, ok := instanceTemplate(pt.Zone); ok {
		zn.enterInstance(p, template)
		return
	}
	zn.startHandoff(p, Neighbour{Zone: pt.Zone, Addr: pt.Addr}, pt.ArriveX, pt.ArriveY)
}

// portalAt returns the index of the portal at (x, y), or -1.
func (zn *Node) portalAt(x, y float32) int {
	for i, pt := range zn.cfg.Portals {
		if pt.Contains(x, y) {
			return i
		}
	}
	return -1
}

// startHandoff freezes the player and writes it as the target's (step 1).
func (zn *Node) startHandoff(p *player, n Neighbour, ax, ay float32) {
	p.handoff = &handoff{to: n, started: zn.clock.Now(), party: zn.parties[p.character]}
	zn.freeze(p)
	req := zn.checkpointOf(p, n.Zone, ax, ay, p.handoff.party)
	err := zn.db.Do(req, func(_ codec.DbReply, err error) {
		if zn.players[p.character] != p {
			return // gone meanwhile
		}
		if err != nil {
			zn.abortHandoff(p, "the db did not take the write: "+err.Error())
			return
		}
		zn.fault("handoff-after-write")
		zn.askTarget(p, n)
	})
	if err != nil {
		zn.abortHandoff(p, "the db cannot be reached: "+err.Error())
	}
}

// askTarget asks the target to claim and spawn the character (step 2).
func (zn *Node) askTarget(p *player, n Neighbour) {
	if !zn.node.Connected(n.Zone) {
		zn.node.AddPeer(n.Zone, n.Addr) // an error means it is dialed already
	}
	payload := codec.NewZoneEncoder().HandOffPlayer(p.character, p.gateway, p.handoff.party.leader, p.handoff.party.joined)
	err := zn.node.Ask(n.Zone, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: payload}, zn.cfg.HandoffTimeout, func(m node.Message, err error) {
		if zn.players[p.character] != p {
			return
		}
		pe, err := readEntered(m, err)
		if err != nil {
			zn.abortHandoff(p, n.Zone+": "+err.Error())
			return
		}
		zn.handedOff(p, n, &pe)
	})
	if err != nil {
		zn.abortHandoff(p, n.Zone+" cannot be reached: "+err.Error())
	}
}

// handedOff ends a handoff (step 3): the entity goes without a save (the
// target owns the character), and the gateway hears where it went (entered
// nil: it enters the player there itself).
func (zn *Node) handedOff(p *player, n Neighbour, entered *codec.PlayerEntered) {
	zn.fault("handoff-after-claimed")
	took := zn.clock.Now().Sub(p.handoff.started)
	gateway := p.gateway
	zn.partyGoes(p.character) // the target keeps it in its party
	zn.leave(p.character, false)
	payload := codec.NewZoneEncoder().HandedOff(p.character, n.Zone, n.Addr, entered)
	if err := zn.node.Send(gateway, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: payload}); err != nil {
		zn.log.Warn("zone: the gateway did not hear of a handoff", "character", p.character, "gateway", gateway, "err", err)
	}
	outcome := "done"
	if entered == nil {
		outcome = "claimed_unheard"
	}
	zn.metrics.handoffs.WithLabelValues(outcome).Inc()
	zn.metrics.handoffSeconds.Observe(took.Seconds())
	zn.log.Info("zone: handed off", "character", p.character, "to", n.Zone, "took", took, "outcome", outcome)
}

// abortHandoff writes the character back as this zone's, where it stands,
// and unfreezes it; a refused write means the target claimed it after all.
func (zn *Node) abortHandoff(p *player, why string) {
	zn.log.Warn("zone: handoff failed", "character", p.character, "to", p.handoff.to.Zone, "why", why)
	n := p.handoff.to
	err := zn.db.Do(zn.checkpointHere(p), func(_ codec.DbReply, err error) {
		if zn.players[p.character] != p {
			return
		}
		switch {
		case errors.Is(err, dbclient.ErrStaleEpoch):
			zn.handedOff(p, n, nil)
		case err != nil:
			// The db says the target's (the write of step 1) and cannot be
			// told otherwise now: the player stays here, and the next
			// checkpoint writes it back.
			zn.unfreeze(p, "aborted")
		default:
			zn.unfreeze(p, "aborted")
		}
	})
	if err != nil {
		zn.unfreeze(p, "aborted")
	}
}

// freeze ignores a player's inputs while it is handed off.
func (zn *Node) freeze(p *player) {
	in := zn.input.Get(p.entity)
	in.MoveX, in.MoveY, in.Actions = 0, 0, 0
}

func (zn *Node) unfreeze(p *player, outcome string) {
	p.handoff = nil
	p.noHandoffUntil = zn.clock.Now().Add(abortCooldown)
	zn.metrics.handoffs.WithLabelValues(outcome).Inc()
}

// neighbour returns the neighbour named zone.
func (zn *Node) neighbour(zone string) (Neighbour, bool) {
	for _, n := range zn.cfg.Neighbours {
		if n.Zone == zone {
			return n, true
		}
	}
	return Neighbour{}, false
}

// fault runs the crash hook at a named point of a procedure (crash tests).
func (zn *Node) fault(point string) {
	if zn.cfg.Fault != nil {
		zn.cfg.Fault(point)
	}
}

// readEntered decodes a zone's answer to ZoneEnterPlayer; a refusal is an
// error, and its PlayerEntered says why (and where the character went).
func readEntered(m node.Message, err error) (codec.PlayerEntered, error) {
	if err != nil {
		return codec.PlayerEntered{}, err
	}
	return codec.DecodePlayerEntered(m.Payload)
}
