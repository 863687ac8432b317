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

// saveThen saves a player's checkpoint with its epoch — where it stands,
// its stats and its place in its party — ; done, if set, runs when the db
// answered (or the request failed).
func (zn *Node) saveThen(p *player, done func()) {
	pos, h := zn.pos.Get(p.entity), zn.health.Get(p.entity)
	r := zn.parties[p.character]
	req := codec.DbRequest{Op: wire.DbOpDbSaveCheckpoint, ID: p.character, Epoch: p.epoch, Zone: zn.cfg.Zone.Name,
		X: pos.X, Y: pos.Y, Level: uint16(zn.app.Get(p.entity).Level), Health: h.Cur, PartyLeader: r.leader, PartyJoined: r.joined}
	p.savedParty = r
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
