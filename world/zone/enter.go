package zone

import (
	"errors"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// pendingEnter is a character being loaded and claimed. Enters that
// arrive meanwhile wait for the same outcome instead of loading it again:
// two loads in flight would spawn it twice.
type pendingEnter struct {
	askers  []node.Message // every ZoneEnterPlayer waiting: all are answered
	gateway string         // the newest asker's gateway forwards its inputs
	party   partyRole      // the party a zone handing it off said it is in
	login   bool           // a login's entry (not a resume's): in no party
}

// enter claims and loads a character, then answers the asker; gateway
// forwards its inputs. party is the party a zone handing it off says it
// is in (leader 0: none).
func (zn *Node) enter(m node.Message, character uint64, gateway string, party partyRole, login bool) {
	if p := zn.players[character]; p != nil {
		p.gateway = gateway     // a reconnect through another gateway
		p.cell = spatial.NoCell // which is told where the player is
		p.orphaned = false
		p.routedAt = zn.seq
		zn.replyEntered(m, p)
		// What its client holds, told again now (its client forgot its
		// party on reconnecting): the new gateway holds it until it has
		// replayed what the player missed, and sends it after.
		zn.retell(p)
		return
	}
	if pe := zn.pending[character]; pe != nil {
		pe.askers, pe.gateway = append(pe.askers, m), gateway
		if party.leader != 0 {
			pe.party = party
		}
		return
	}
	if zn.cfg.Pool != nil && zn.loaded == "" {
		// An instance node holding no instance (its copy was lost with a
		// restart): the character goes to the exit zone.
		// A node every realm shares that has not served a realm since it
		// started cannot tell whose world the character belongs to: it
		// refuses, and the realm places the character at its own exit.
		ans := codec.PlayerEntered{Character: character, Refused: "no instance here"}
		if ex := zn.lastExit(); ex.set {
			ans.MovedTo, ans.MovedToAddr = ex.Zone.Zone, ex.Zone.Addr
		}
		zn.node.Reply(m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.PlayerEntered(&ans)})
		return
	}
	// A full instance takes no one: checked before the claim, so that a
	// refused character stays with the zone it came from. Characters
	// being brought in hold their slots.
	if limit := zn.zone.Config().PlayerCap; limit > 0 && zn.zone.Players()+len(zn.pending) >= limit {
		zn.log.Warn("zone: full, a character is not brought in", "character", character, "cap", limit)
		zn.refuse(m, character, "the zone is full")
		return
	}
	zn.pending[character] = &pendingEnter{askers: []node.Message{m}, gateway: gateway, party: party, login: login}
	// Load first: where the character last stood decides where it appears
	// (the claim rewrites its zone). The claim then fences off any zone
	// that held it.
	err := zn.db.Do(codec.DbRequest{Op: wire.DbOpDbLoadCharacter, ID: character}, func(load codec.DbReply, err error) {
		if err == nil && load.Character == nil {
			err = errors.New("no such character")
		}
		if err != nil {
			zn.enterFailed(character, "cannot load the character", err)
			return
		}
		if c := load.Character; c.Zone != zn.cfg.Zone.Name {
			if n, ok := zn.neighbour(c.Zone); ok {
				// Handed off (this zone wrote it as the neighbour's and went
				// down before it heard the end): the neighbour takes it.
				zn.movedAway(character, n)
				return
			}
		}
		zn.claim(character, load.Character, load.Items)
	})
	if err != nil {
		zn.enterFailed(character, "cannot reach the db", err)
	}
}

// claim claims a loaded character with a new epoch and spawns it.
func (zn *Node) claim(character uint64, c *codec.DbCharacter, items []codec.DbItem) {
	err := zn.db.Do(codec.DbRequest{Op: wire.DbOpDbClaimCharacter, ID: character, Zone: zn.cfg.Zone.Name}, func(claim codec.DbReply, err error) {
		if err != nil {
			zn.enterFailed(character, "cannot claim the character", err)
			return
		}
		zn.fault("enter-after-claim")
		pe := zn.pending[character]
		delete(zn.pending, character)
		if pe == nil {
			return
		}
		_, wasAway := zn.away[character] // spawn forgets it
		p, err := zn.spawn(c, claim.Epoch, pe.gateway, items)
		if err != nil {
			zn.log.Warn("zone: cannot spawn player", "character", character, "err", err)
			for _, m := range pe.askers {
				zn.refuse(m, character, "no room for the character")
			}
			return
		}
		p.savedParty = partyRole{leader: c.PartyLeader, joined: c.PartyJoined}
		place := zn.placeOf(character, pe, p.savedParty, wasAway)
		zn.arrived(p, place)
		// The character's first checkpoint here: where it appeared (and in
		// which party), so that a crash before the next one brings it back
		// there.
		zn.save(p)
		for _, m := range pe.askers {
			zn.replyEntered(m, p)
		}
		zn.sendInventory(p)
		p.retell = true // at its first input: the gateway may not hold it yet
	})
	if err != nil {
		zn.enterFailed(character, "cannot reach the db", err)
	}
}

// placeOf returns the party a character taken in goes in: the place its
// gateway or source zone said; none for a login (out of one it kept while
// away); else, back from away, the one the zone kept while it was (the
// party as it is now); else the one it was saved with (the zone restarted
// with the gateway that knew it, and the one resuming it cannot know it).
func (zn *Node) placeOf(character uint64, pe *pendingEnter, saved partyRole, wasAway bool) partyRole {
	switch {
	case pe.party.leader != 0:
		return pe.party
	case pe.login:
		zn.leaveParty(character)
		return partyRole{}
	case wasAway:
		return zn.parties[character]
	}
	return saved
}

// enterFailed ends a pending enter: its slot is free again and every asker
// hears why.
func (zn *Node) enterFailed(character uint64, why string, err error) {
	zn.log.Warn("zone: character not brought in", "character", character, "why", why, "err", err)
	pe := zn.pending[character]
	delete(zn.pending, character)
	if pe == nil {
		return
	}
	for _, m := range pe.askers {
		zn.refuse(m, character, why)
	}
}

// movedAway answers a pending enter of a character the db says a
// neighbour holds: enter it there.
func (zn *Node) movedAway(character uint64, n Neighbour) {
	pe := zn.pending[character]
	delete(zn.pending, character)
	if pe == nil {
		return
	}
	zn.log.Info("zone: character handed off before this zone restarted, sent on", "character", character, "to", n.Zone)
	for _, m := range pe.askers {
		ans := codec.PlayerEntered{Character: character, Refused: "handed off to " + n.Zone, MovedTo: n.Zone, MovedToAddr: n.Addr}
		zn.node.Reply(m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.PlayerEntered(&ans)})
	}
}

// refuse answers a ZoneEnterPlayer with the reason the zone did not take
// the character.
func (zn *Node) refuse(m node.Message, character uint64, why string) {
	pe := codec.PlayerEntered{Character: character, Refused: why}
	zn.node.Reply(m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.PlayerEntered(&pe)})
}

// spawn puts a loaded character in the world, at its checkpoint if that is
// walkable ground of this zone, else near an instance's entry or the
// centre of an open zone.
func (zn *Node) spawn(c *codec.DbCharacter, epoch uint64, gateway string, items []codec.DbItem) (*player, error) {
	x, y := c.X, c.Y
	if c.Zone != zn.cfg.Zone.Name || !zn.zone.Terrain.Walkable(x, y) {
		w, h := zn.zone.Terrain.Size()
		cx, cy, r := w/2, h/2, min(w, h)/4
		if t := zn.cfg.Instance; t != nil {
			cx, cy, r = t.EntryX, t.EntryY, 8
		}
		var ok bool
		if x, y, ok = zn.zone.RandomWalkable(cx, cy, r); !ok {
			return nil, errors.New("no walkable ground for a player")
		}
	}
	e, err := zn.zone.SpawnPlayer(x, y, 0)
	if err != nil {
		return nil, err
	}
	if c.Health > 0 {
		zn.health.Get(e).Cur = min(c.Health, zn.health.Get(e).Max)
	}
	p := &player{character: c.ID, entity: e, epoch: epoch, gateway: gateway, cell: spatial.NoCell, name: c.Name, routedAt: zn.seq,
		inPortal: zn.portalAt(x, y) >= 0, // one who appears in a portal steps out before it counts
		items:    make(map[uint64]codec.DbItem, len(items))}
	for _, it := range items {
		p.items[it.ID] = it
	}
	delete(zn.away, c.ID)
	zn.players[c.ID] = p
	zn.byEntity[e] = c.ID
	return p, nil
}

func (zn *Node) replyEntered(m node.Message, p *player) {
	pos := zn.pos.Get(p.entity)
	zc := zn.zone.Config()
	w, h := zn.zone.Terrain.Size()
	tickHz := uint8(time.Second / zn.zone.Loop.TickLen())
	m2 := zc.Map
	if m2.Seed == 0 {
		m2.Seed = zc.Seed
	}
	pe := codec.PlayerEntered{Character: p.character, NetID: zn.rep.Get(p.entity).NetID, X: spatial.QuantizeCoord(float64(pos.X)),
		Y: spatial.QuantizeCoord(float64(pos.Y)), Epoch: p.epoch, MapSeed: m2.Seed, MapWidth: w, MapHeight: h,
		CellSize: uint16(zc.CellSize), PlayerSpeed: zc.Rules.PlayerSpeed, TickHz: tickHz,
		MapObstacles: float32(m2.Obstacles), MapTileSize: zn.zone.Terrain.TileSize(), MapFile: zc.Terrain != nil,
		ViewRadius: uint8(zc.ViewRadius), MaxVisible: uint16(zc.MaxVisible), ZoneName: zn.zoneName()}
	zn.node.Reply(m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.PlayerEntered(&pe)})
}

// leaveKeepingParty takes out a character whose gateway is gone, leaving
// it in its party while it is away: the members here are told the party
// without it, and it finds its place again if it comes back in time.
func (zn *Node) leaveKeepingParty(character uint64) {
	p := zn.players[character]
	if p == nil {
		return
	}
	delete(zn.players, character)
	delete(zn.byEntity, p.entity)
	if r, ok := zn.parties[character]; ok {
		zn.tellParty(r.leader)
	}
	zn.zone.RemovePlayer(p.entity)
	zn.release(p.gateway)
}

// leave takes a character out, saving it first when asked.
func (zn *Node) leave(character uint64, save bool) {
	p := zn.players[character]
	if p == nil {
		return
	}
	delete(zn.players, character)
	delete(zn.byEntity, p.entity)
	// Out of its party before its last checkpoint, which then says so: a
	// player who left the realm comes back in no party.
	zn.leaveParty(character)
	if save && p.handoff == nil { // one being handed off is the target's to save
		zn.save(p)
	}
	zn.zone.RemovePlayer(p.entity)
	zn.release(p.gateway)
}

// lastExit is where players of a lost copy go: the exit of the last copy,
// or the node's own exit in a pool of one realm.
func (zn *Node) lastExit() exitPoint {
	if zn.exit.set {
		return zn.exit
	}
	p := zn.cfg.Pool
	return exitPoint{Zone: p.Exit, X: p.ExitX, Y: p.ExitY, set: len(p.Realms) == 0}
}

// zoneName is what players are told the zone is called (renamed keeps it).
func (zn *Node) zoneName() string { return *zn.title.Load() }

// currentName is what the zone is called now: its content's name for it
// (an instance template's for a copy of one, as the content says now: a
// reload may rename it), or its node's id (an instance node of a pool
// holding no copy).
func (zn *Node) currentName() string {
	set := zn.content.Load()
	template := zn.loaded
	if t := zn.cfg.Instance; t != nil && zn.cfg.Pool == nil {
		template = t.Name
	}
	switch {
	case set == nil:
	case template != "":
		if d := set.Instances[template]; d != nil {
			return d.Title
		}
	case zn.cfg.Pool == nil:
		if d := set.Zones[zn.cfg.ContentZone]; d != nil {
			return d.Title
		}
	}
	return zn.cfg.Node.ID
}

// renamed keeps what the zone is called now, for players (Welcome,
// party checks) and its metrics (gridrealm_zone_info, read off the loop):
// at start, after a content reload, and when an instance node loads or
// lets go of a copy.
func (zn *Node) renamed() {
	n := zn.currentName()
	zn.title.Store(&n)
}
