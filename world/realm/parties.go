package realm

import (
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
)

// Parties live in the zones (world/zone/party.go): each zone knows the
// members it holds, and a party may have members in several zones. When
// its leader leaves the realm, the leader's zone ends the party there; the
// zones holding its other members learn it from this node, the one that
// knows where every player is. Every few seconds each zone asks about the
// parties it holds whose leader is elsewhere (RealmPartyCheck), and is
// told which have ended (RealmPartiesEnded).
//
// A leader has left the realm when it logged out (RealmPlayerLeft), or
// when its gateway went away and it did not come back within ResumeTTL (a
// zone keeps such a player's place in its party as long: it may resume
// through another gateway). One logged in again since its party's members
// joined leads a new session, and that party no longer: a login starts
// with no party.

// partyClockSkew is how much later than a member's join (the zone's clock)
// a leader's login (this node's clock) must come to end the party: zones
// and realm nodes on different hosts need clocks that agree to about this.
const partyClockSkew = 2 * time.Second

// departedKeep is how long this node remembers that a character left, past
// which a leader it does not know of counts as gone anyway.
const departedKeep = 10 * time.Minute

// departed records that a character left the realm, gone from at; r.mu is
// held.
func (r *Node) departed(character uint64, at time.Time) {
	if len(r.gone) >= 2*len(r.players)+1024 {
		now := r.clock.Now()
		for c, t := range r.gone {
			if now.Sub(t) > departedKeep {
				delete(r.gone, c)
			}
		}
	}
	r.gone[character] = at
}

// partiesEnded answers a zone's RealmPartyCheck with the parties that
// have ended, and for which of their members.
func (r *Node) partiesEnded(parties []codec.Party) []codec.Party {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var ended []codec.Party
	for _, p := range parties {
		if p.Leader == 0 {
			continue
		}
		if pl, ok := r.players[p.Leader]; ok {
			if login := pl.since.Add(-partyClockSkew); !pl.since.IsZero() && login.After(time.UnixMicro(int64(p.JoinedUnixUs))) {
				// Logged in again since: those who joined before lost their party.
				ended = append(ended, codec.Party{Leader: p.Leader, JoinedUnixUs: uint64(login.UnixMicro())})
			}
			continue
		}
		at, known := r.gone[p.Leader]
		if known && !now.Before(at) || !known && now.Sub(r.started) >= r.cfg.ResumeTTL+r.cfg.GatewayGrace {
			// Gone; or not placed, and not heard of since this node has known
			// every gateway's players for longer than a player may be away
			// (gone longer ago than departedKeep, or before this node started).
			ended = append(ended, codec.Party{Leader: p.Leader, JoinedUnixUs: codec.AllMembers})
		}
	}
	return ended
}

// partyCheck answers a RealmPartyCheck.
func (r *Node) partyCheck(m node.Message, parties []codec.Party) {
	payload := codec.NewRealmEncoder().PartiesEnded(r.partiesEnded(parties))
	if err := r.node.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload}); err != nil {
		r.log.Warn("realm: a party check was not answered", "zone", m.From, "err", err)
	}
}
