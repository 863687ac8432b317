package zone

import (
	"context"
	"errors"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
)

// checkpoint saves every player now and then.
func (zn *Node) checkpoint(*ecs.World) {
	if zn.clock.Now().Sub(zn.lastCheckpoint) < zn.cfg.Checkpoint {
		return
	}
	zn.lastCheckpoint = zn.clock.Now()
	for _, p := range zn.players {
		if p.handoff == nil { // its checkpoint is the handoff's
			zn.save(p)
		}
	}
}

// saveAll saves every player when the zone stops (its tick has ended),
// polling the node for the db's answers until all came or timeout passed,
// so that a graceful stop (the reviver's, a scheduled restart, Ctrl-C)
// loses no position. It reports how many saves were not acknowledged.
func (zn *Node) saveAll(timeout time.Duration) int {
	pending := 0
	for _, p := range zn.players {
		if p.handoff != nil {
			continue // the db says the target's: the target's claim decides
		}
		pending++
		zn.saveThen(p, func() { pending-- })
	}
	deadline := zn.clock.Now().Add(timeout)
	for pending > 0 && zn.clock.Now().Before(deadline) {
		zn.node.Poll(zn, 1024)
		zn.clock.Sleep(context.Background(), 5*time.Millisecond)
	}
	return pending
}

func (zn *Node) save(p *player) { zn.saveThen(p, nil) }

// checkpointOf is the checkpoint of a player as zone's, at (x, y), in
// party: its stats as they are now, with its epoch.
func (zn *Node) checkpointOf(p *player, zone string, x, y float32, party partyRole) codec.DbRequest {
	return codec.DbRequest{Op: wire.DbOpDbSaveCheckpoint, ID: p.character, Epoch: p.epoch, Zone: zone, X: x, Y: y,
		Level: uint16(zn.app.Get(p.entity).Level), Health: zn.health.Get(p.entity).Cur, PartyLeader: party.leader, PartyJoined: party.joined}
}

// checkpointHere is the checkpoint of a player as this zone's, where it
// stands, in its party now, which it notes as saved.
func (zn *Node) checkpointHere(p *player) codec.DbRequest {
	pos, r := zn.pos.Get(p.entity), zn.parties[p.character]
	p.savedParty = r
	return zn.checkpointOf(p, zn.cfg.Zone.Name, pos.X, pos.Y, r)
}

// saveThen saves a player's checkpoint with its epoch — where it stands,
// its stats and its place in its party — ; done, if set, runs when the db
// answered (or the request failed).
func (zn *Node) saveThen(p *player, done func()) {
	req := zn.checkpointHere(p)
	character := p.character
	err := zn.db.Do(req, func(_ codec.DbReply, err error) {
		if done != nil {
			defer done()
		}
		switch {
		case err == nil:
		case errors.Is(err, dbclient.ErrStaleEpoch):
			// Another zone claimed the character: this one lets go.
			zn.log.Warn("zone: character claimed elsewhere, letting go", "character", character)
			if q := zn.players[character]; q != nil && q.epoch == req.Epoch {
				zn.leave(character, false)
			}
		default:
			zn.log.Warn("zone: checkpoint failed", "character", character, "err", err)
		}
	})
	if err != nil {
		zn.log.Warn("zone: checkpoint not sent", "character", character, "err", err)
		if done != nil {
			done()
		}
	}
}
