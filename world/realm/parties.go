package realm

import (
	"cmp"
	"slices"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
)

// Parties live in the zones (world/zone/party.go): each zone knows the
// members it holds, and a party may have members in several zones. When
// its leader leaves the realm, the leader's zone ends the party there; the
// zones holding its other members learn it from this node, the one that
// knows where every player is. Every few seconds each zone holding partied
// players reports them and asks about the parties whose leader is
// elsewhere (RealmPartyCheck); it is told which have ended, and the
// members in other zones of the parties it holds members of
// (RealmPartyAnswer), from the other zones' reports. A report that changes
// who of a party is in the zone has this node tell the other zones holding
// members of that party to check now (ZonePartiesChanged), once until each
// reports again.
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

// partyAnswer answers a zone's RealmPartyCheck: the parties that have
// ended, and the members elsewhere of the parties it holds members of. The
// zone's report replaces the last; the other zones holding members of a
// party whose members in this zone changed are to be told (nudge, by
// zone, the leaders of those parties). r.mu is taken.
func (r *Node) partyAnswer(zone string, c codec.PartyCheck) (a codec.PartyAnswer, nudge map[string][]uint64) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := rosterChanges(r.rosters[zone].members, c.Members)
	if len(c.Members) == 0 {
		delete(r.rosters, zone)
		delete(r.nudged, zone)
	} else {
		r.rosters[zone] = zoneRoster{at: now, members: c.Members, name: cmp.Or(c.ZoneName, zone)}
	}
	for _, m := range c.Members {
		if _, ok := r.players[m.Character]; !ok && !r.inherited {
			r.inherited = true // partied before this node knew of it: it restarted
		}
	}
	a = codec.PartyAnswer{Ended: r.partiesEnded(c.Parties, now), Elsewhere: r.elsewhere(zone, c.Members, now),
		Settling: r.inherited && now.Sub(r.started) < rosterFresh}
	return a, r.partyNudges(zone, changed, now)
}

// rosterChanges returns the leaders of the parties whose members in a
// zone differ between two of its reports.
func rosterChanges(was, is []codec.PartyMemberAt) map[uint64]bool {
	type place struct{ leader, character uint64 }
	before := make(map[place]bool, len(was))
	for _, m := range was {
		before[place{m.Leader, m.Character}] = true
	}
	changed := map[uint64]bool{}
	for _, m := range is {
		if p := (place{m.Leader, m.Character}); before[p] {
			delete(before, p)
		} else {
			changed[m.Leader] = true
		}
	}
	for p := range before {
		changed[p.leader] = true
	}
	return changed
}

// partyNudges returns, by zone, the leaders of the changed parties that
// other zones reported members of, leaving out a zone already told since
// its last report (its check is coming). r.mu is held.
func (r *Node) partyNudges(from string, changed map[uint64]bool, now time.Time) map[string][]uint64 {
	if len(changed) == 0 {
		return nil
	}
	var nudge map[string][]uint64
	for z, ro := range r.rosters {
		if z == from || now.Sub(ro.at) > rosterFresh || !r.nudged[z].Before(ro.at) {
			continue
		}
		var leaders []uint64
		for _, m := range ro.members {
			if changed[m.Leader] && !slices.Contains(leaders, m.Leader) {
				leaders = append(leaders, m.Leader)
			}
		}
		if len(leaders) > 0 {
			if nudge == nil {
				nudge = map[string][]uint64{}
			}
			nudge[z] = leaders
			r.nudged[z] = now
		}
	}
	return nudge
}

// partiesEnded returns the parties that have ended, and for which of their
// members; r.mu is held.
func (r *Node) partiesEnded(parties []codec.Party, now time.Time) []codec.Party {
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

// rosterFresh is how long a zone's report of its partied players counts:
// a zone reports every few seconds while it holds any, so one silent for
// longer has stopped or no longer holds them. A node that restarted (it
// holds players it did not place: a gateway reported them, or a zone
// reports partied characters it has not placed yet) and is up for less has
// not heard from every zone: its answers say it is settling, and zones
// keep the members elsewhere they were told before (it would otherwise
// tell the first zone to ask that no one is). A node that started afresh
// placed every player itself, and settles nothing.
const rosterFresh = 20 * time.Second

// zoneRoster is a zone's last report of its partied players.
type zoneRoster struct {
	at      time.Time
	members []codec.PartyMemberAt
	name    string // what the zone is called
}

// elsewhere returns the members in other zones of the parties zone reported
// members of (here), each with its zone, the leader of each party first,
// then in the order they joined. A character that several zones reported
// is where the newest report has it; one the directory does not hold (it
// left the realm) is left out. r.mu is held.
func (r *Node) elsewhere(zone string, here []codec.PartyMemberAt, now time.Time) []codec.PartyMemberAt {
	if len(here) == 0 {
		return nil
	}
	leaders, inZone := map[uint64]bool{}, map[uint64]bool{}
	for _, m := range here {
		leaders[m.Leader], inZone[m.Character] = true, true
	}
	type seen struct {
		m  codec.PartyMemberAt
		at time.Time
	}
	newest := map[uint64]seen{}
	for z, ro := range r.rosters {
		if now.Sub(ro.at) > rosterFresh {
			delete(r.rosters, z)
			delete(r.nudged, z)
			continue
		}
		if z == zone {
			continue
		}
		for _, m := range ro.members {
			if s, ok := newest[m.Character]; (!ok || ro.at.After(s.at)) && !inZone[m.Character] {
				m.Zone, m.ZoneName = z, ro.name
				newest[m.Character] = seen{m: m, at: ro.at}
			}
		}
	}
	var out []codec.PartyMemberAt
	for c, s := range newest {
		if _, in := r.players[c]; in && leaders[s.m.Leader] {
			out = append(out, s.m)
		}
	}
	slices.SortFunc(out, func(a, b codec.PartyMemberAt) int {
		lead := func(m codec.PartyMemberAt) int { // the leader first
			if m.Character == m.Leader {
				return 0
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Leader, b.Leader), cmp.Compare(lead(a), lead(b)), cmp.Compare(a.JoinedUnixUs, b.JoinedUnixUs),
			cmp.Compare(a.Character, b.Character))
	})
	return out
}

// partyCheck answers a RealmPartyCheck, and tells the other zones whose
// parties it changed to check theirs.
func (r *Node) partyCheck(m node.Message, c codec.PartyCheck) {
	a, nudge := r.partyAnswer(m.From, c)
	if err := r.node.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PartyAnswer(&a)}); err != nil {
		r.log.Warn("realm: a party check was not answered", "zone", m.From, "err", err)
	}
	for z, leaders := range nudge {
		// Volatile: a zone that is not linked now checks on its own clock.
		if r.node.Send(z, node.Out{Kind: kinds.Zone, Priority: node.Control, Volatile: true, Payload: codec.NewZoneEncoder().PartiesChanged(leaders)}) == nil {
			r.nudges.Inc()
		}
	}
}
