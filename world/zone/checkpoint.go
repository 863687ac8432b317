package zone

import (
	"errors"

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
		zn.save(p)
	}
}

func (zn *Node) save(p *player) {
	pos, h := zn.pos.Get(p.entity), zn.health.Get(p.entity)
	req := codec.DbRequest{Op: wire.DbOpDbSaveCheckpoint, ID: p.character, Epoch: p.epoch, Zone: zn.cfg.Zone.Name,
		X: pos.X, Y: pos.Y, Level: uint16(zn.app.Get(p.entity).Level), Health: h.Cur}
	character := p.character
	zn.db.Do(req, func(_ codec.DbReply, err error) {
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
}
