package realm

import (
	"errors"
	"fmt"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
)

// character finds the account's character, creating it the first time.
// A request the db link cannot take is answered at once with its error.
func (r *Node) character(account string, done func(*codec.DbCharacter, error)) {
	err := r.db.Do(codec.DbRequest{Op: wire.DbOpDbFindCharacter, Name: account}, func(rep codec.DbReply, err error) {
		if err == nil {
			done(rep.Character, nil)
			return
		}
		if !errors.Is(err, dbclient.ErrNotFound) {
			done(nil, err)
			return
		}
		err = r.db.Do(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: account, Name: account}, func(rep codec.DbReply, err error) {
			if err != nil {
				done(nil, fmt.Errorf("create the default character: %w", err))
				return
			}
			done(rep.Character, nil)
		})
		if err != nil {
			done(nil, fmt.Errorf("create the default character: %w", err))
		}
	})
	if err != nil {
		done(nil, err)
	}
}

// enter asks the zone to bring the character in and answers the gateway.
// A zone that answers the character moved to another (a handoff it did
// not finish, an instance it no longer holds) is followed, once.
func (r *Node) enter(m node.Message, account string, character uint64, zone string, login bool) {
	r.enterOnce(m, account, character, zone, false, login)
}

func (r *Node) enterOnce(m node.Message, account string, character uint64, zone string, moved, login bool) {
	payload := codec.NewZoneEncoder().EnterPlayer(character, m.From, login)
	err := r.node.Ask(zone, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: payload}, r.cfg.EnterTimeout, func(zm node.Message, err error) {
		var pe codec.PlayerEntered
		if err == nil {
			pe, err = codec.DecodePlayerEntered(zm.Payload)
		}
		if err != nil && pe.MovedTo != "" && pe.MovedTo != zone && r.cfg.Zones[pe.MovedTo] != "" && !moved {
			// Handed off (or out of a lost instance): where the zone says.
			r.enterOnce(m, account, character, pe.MovedTo, true, login)
			return
		}
		if err != nil && pe.Refused != "" && r.pool[zone] != nil && !moved {
			// A pool node every realm shares, holding no copy of ours: the
			// character leaves through this realm's instance exit.
			r.enterOnce(m, account, character, r.instanceExit(), true, login)
			return
		}
		if err != nil {
			r.log.Warn("realm: zone did not take the character", "zone", zone, "character", character, "err", err)
			msg := "the zone is unavailable"
			if pe.Refused != "" {
				msg = "the zone did not take the character: " + pe.Refused
			}
			r.reply(m, &codec.RealmConnected{Status: wire.RealmStatusUnavailable, Message: msg})
			return
		}
		r.mu.Lock()
		token := r.newResume(account, character)
		pl := Placement{Account: account, Character: character, Gateway: m.From, Zone: zone, resume: token}
		if login {
			pl.since = r.clock.Now()
		} else {
			pl.since = r.players[character].since // a resume goes on with its session
		}
		r.players[character] = pl
		delete(r.gone, character)
		r.mu.Unlock()
		r.reply(m, &codec.RealmConnected{Status: wire.RealmStatusOk, Account: account, Zone: zone, ZoneAddr: r.cfg.Zones[zone], Entered: pe,
			ResumeToken: token[:]})
	})
	if err != nil {
		r.reply(m, &codec.RealmConnected{Status: wire.RealmStatusUnavailable, Message: "the zone is unavailable"})
	}
}

// left takes a player out of its zone. A kicked player's resume token is
// void at once; another's stays valid for ResumeTTL.
func (r *Node) left(gateway string, character uint64, revoke bool) {
	r.mu.Lock()
	p, ok := r.players[character]
	if ok && p.Gateway == gateway {
		delete(r.players, character)
		r.departed(character, r.clock.Now())
		if revoke {
			r.revoke(p)
		} else {
			r.resumeFrom(p)
		}
	}
	r.mu.Unlock()
	if !ok || p.Gateway != gateway {
		return
	}
	r.node.Send(p.Zone, node.Out{Kind: kinds.Zone, Priority: node.Control, Volatile: true, Payload: codec.NewZoneEncoder().LeavePlayer(character)})
}

// moved follows a handoff: the player's gateway says its character is in
// another zone now.
func (r *Node) moved(gateway string, character uint64, zone string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.players[character]; ok && p.Gateway == gateway && r.cfg.Zones[zone] != "" {
		p.Zone = zone
		r.players[character] = p
	}
}

func (r *Node) reply(m node.Message, c *codec.RealmConnected) {
	if err := r.node.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().Connected(c)}); err != nil {
		r.log.Warn("realm: answer not sent", "gateway", m.From, "err", err)
	}
}

// gatewayPlayers rebuilds the directory from a gateway's report, after this
// realm node restarted: each player is placed where the gateway says, and
// its resume token is valid again. A player already placed through another
// gateway since is left there.
func (r *Node) gatewayPlayers(gateway string, players []codec.PlayerAtGateway) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, p := range players {
		if old, ok := r.players[p.Character]; ok && old.Gateway != gateway {
			continue
		}
		pl := Placement{Account: p.Account, Character: p.Character, Gateway: gateway, Zone: p.Zone}
		if len(p.ResumeToken) == len(pl.resume) {
			pl.resume = [32]byte(p.ResumeToken)
			r.resumes[pl.resume] = &session{account: p.Account, character: p.Character, expires: connected, issued: r.clock.Now()}
		}
		r.players[p.Character] = pl
		delete(r.gone, p.Character)
		n++
	}
	r.inherited = r.inherited || n > 0
	r.log.Info("realm: directory rebuilt from a gateway's report", "gateway", gateway, "players", n)
}

// instanceExit is where a character out of a lost instance goes: the exit
// the realm gives its instances, else its default zone.
func (r *Node) instanceExit() string {
	if z := r.cfg.InstanceLoad.ExitZone; r.cfg.Zones[z] != "" {
		return z
	}
	return r.cfg.DefaultZone
}
