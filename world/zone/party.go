package zone

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/gridrealm/gridrealm/net/codec"
)

// Parties: a minimal group of players who enter an instance together. A
// player joins the party of another by saying "/party NAME" (on any chat
// channel: the zone takes the command, nobody hears it), and leaves with
// "/party". When a member steps into an instance portal, every member in
// the zone is taken into the same instance.
//
// A party is known by its leader's character. A member handed off to
// another zone (a border, a portal, an instance and back) takes its place
// in the party along (ZoneEnterPlayer.party_leader), and the target puts
// it with the party's members there: a party may have members in several
// zones, and each zone knows those it holds. A member who leaves the
// realm (logs out, or its gateway is gone) leaves its party, and a leader
// who does takes the party with it in its zone.
//
// Each member is told the party's members in its zone, whole (codec.Party:
// the leader first when it is there, then the others in the order they
// joined), with those in other zones as the realm said (partyrealm.go),
// whenever they change, and again at its first input after it
// entered the zone (player.retell). Its gateway reads it too: a zone that
// bounds what a player is shown (MaxVisible) has the gateway show party
// members before anyone else.
//
// A party whose leader left the realm ends in every zone: the leader's
// zone ends it at once (leaveParty), and the others learn it from the
// realm node, which also tells each zone its parties' members elsewhere
// (partyrealm.go).

// SystemParty is the system message code of party news.
const SystemParty = 4

// partyRole is a partied character's place: its party's leader, and when
// it joined (microseconds of the wall clock, the order its party lists it
// in, in every zone).
type partyRole struct {
	leader, joined uint64
}

// joinStamp stamps a join: increasing, and never below the wall clock in
// microseconds.
func (zn *Node) joinStamp() uint64 {
	zn.partyJoins = max(zn.partyJoins+1, uint64(zn.clock.Now().UnixMicro()))
	return zn.partyJoins
}

// partyCommand handles a "/party" line; it reports whether the line was
// one.
func (zn *Node) partyCommand(p *player, text string) bool {
	arg, ok := strings.CutPrefix(text, "/party")
	if !ok || (arg != "" && arg[0] != ' ') {
		return false
	}
	arg = strings.TrimSpace(arg)
	tell := func(s string) {
		seq := zn.nextSeq()
		zn.deliver(p.character, seq, bytes.Clone(zn.penc.SystemMessage(SystemParty, s, seq)))
	}
	if arg == "" {
		zn.leaveParty(p.character)
		tell("You left your party.")
		return true
	}
	var leader *player
	for _, q := range zn.players {
		if strings.EqualFold(q.name, arg) {
			leader = q
		}
	}
	switch {
	case leader == nil:
		tell("No one called " + arg + " is in this zone.")
	case leader == p:
		tell("You lead your own party: others join it with /party " + p.name + ".")
	default:
		l := leader.character
		if r, ok := zn.parties[l]; ok {
			l = r.leader // its party's leader
		}
		if r, ok := zn.parties[p.character]; ok && r.leader == l {
			tell("You are in " + leader.name + "'s party already.")
			return true
		}
		if len(zn.partyOf(l))+len(zn.elsewhere[l]) >= codec.MaxParty {
			tell("That party is full.")
			return true
		}
		zn.leaveParty(p.character)
		if _, ok := zn.parties[l]; !ok && zn.players[l] != nil {
			// The leader's own place, when it is here and leads no party
			// yet (a party whose leader is in another zone has only its
			// members here).
			zn.parties[l] = partyRole{leader: l, joined: zn.joinStamp()}
		}
		zn.parties[p.character] = partyRole{leader: l, joined: zn.joinStamp()}
		tell("You joined " + leader.name + "'s party.")
		zn.tellParty(l)
	}
	return true
}

// leaveParty takes a character out of its party (a leader's party goes
// with it), and tells everyone whose party changed.
func (zn *Node) leaveParty(character uint64) {
	r, ok := zn.parties[character]
	if !ok {
		return
	}
	zn.partySoon() // the realm's roster, even with no member left here to tell
	members := zn.partyOf(r.leader)
	delete(zn.parties, character)
	if r.leader == character {
		for _, c := range members {
			delete(zn.parties, c)
		}
		delete(zn.elsewhere, character)
	}
	for _, c := range members {
		if _, still := zn.parties[c]; !still && zn.players[c] != nil {
			zn.tellNoParty(c)
		}
	}
	if rest := zn.partyOf(r.leader); len(rest) == 1 && rest[0] == r.leader {
		delete(zn.parties, r.leader) // a leader alone leads no party
		zn.tellNoParty(r.leader)
	} else if len(rest) > 0 {
		zn.tellParty(r.leader)
	}
}

// partyGoes takes a character handed off to another zone out of its party
// here (the target keeps it in it), and tells those left.
func (zn *Node) partyGoes(character uint64) {
	r, ok := zn.parties[character]
	if !ok {
		return
	}
	zn.partySoon()
	delete(zn.parties, character)
	if len(zn.partyOf(r.leader)) > 0 {
		zn.tellParty(r.leader)
	}
}

// arrived puts a character handed off to this zone (or entered again by
// its gateway after this zone restarted) in the party its source said,
// unless the party's leader is here and in no party or another (the party
// has ended here: the arrival is told it is in none, so that its gateway
// forgets the place), and tells the members here. The arrival itself is
// told again at its first input (player.retell): its gateway may not have
// moved it here yet.
func (zn *Node) arrived(p *player, r partyRole) {
	if r.leader == 0 {
		return
	}
	if zn.players[r.leader] != nil && r.leader != p.character && zn.parties[r.leader].leader != r.leader {
		zn.tellNoParty(p.character)
		return
	}
	zn.parties[p.character] = r
	zn.partyJoins = max(zn.partyJoins, r.joined)
	zn.tellParty(r.leader)
}

// partyOf returns the characters of leader's party, the leader first, then
// in the order they joined; none when it leads no party.
func (zn *Node) partyOf(leader uint64) []uint64 {
	var out []uint64
	for c, r := range zn.parties {
		if r.leader == leader {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b uint64) int {
		first := func(c uint64) int { // the leader, then the rest
			if c == leader {
				return 0
			}
			return 1
		}
		return cmp.Or(cmp.Compare(first(a), first(b)), cmp.Compare(zn.parties[a].joined, zn.parties[b].joined), cmp.Compare(a, b))
	})
	return out
}

// tellParty sends every member of leader's party in the zone the party,
// whole: one numbered message they share. With only, it goes to that
// member alone.
func (zn *Node) tellParty(leader uint64, only ...uint64) {
	chars := zn.partyOf(leader)
	members := make([]codec.PartyMember, 0, len(chars))
	for _, c := range chars {
		if q := zn.players[c]; q != nil {
			members = append(members, codec.PartyMember{ID: zn.rep.Get(q.entity).NetID, Name: q.name})
		}
	}
	seq := zn.nextSeq()
	msg := bytes.Clone(zn.penc.Party(members, seq, zn.elsewhere[leader]...))
	if len(only) > 0 {
		chars = only
	}
	for _, c := range chars {
		if zn.players[c] != nil {
			zn.deliverParty(c, seq, msg)
		}
	}
}

// tellNoParty tells a character it is in no party.
func (zn *Node) tellNoParty(character uint64) {
	seq := zn.nextSeq()
	zn.deliverParty(character, seq, bytes.Clone(zn.penc.Party(nil, seq)))
}

// deliverParty delivers a Party message to a character with its place in
// its party, which its gateway keeps: a zone that restarts has lost its
// parties, and each gateway entering its players again says where each
// stood (ZoneEnterPlayer.party_leader, as a handoff does; arrived).
//
// The place is saved too, at once when it changed (with the player's
// checkpoint): when the zone and the gateway die together, the gateway
// that takes the player next cannot say the place, and the restarted zone
// reads it from the db (claim).
func (zn *Node) deliverParty(character, seq uint64, msg []byte) {
	r := zn.parties[character]
	zn.partySoon()
	zn.queueEvent(codec.PlayerEvent{Character: character, Message: msg, PartyLeader: r.leader, PartyJoined: r.joined})
	zn.keep(delivery{seq: seq, character: character, msg: msg, party: true})
	if p := zn.players[character]; p != nil && p.handoff == nil && p.savedParty != r {
		zn.save(p)
	}
}

// retell sends a player what its client may not hold after a Welcome:
// its inventory, and its party.
func (zn *Node) retell(p *player) {
	p.retell = false
	zn.sendInventory(p)
	if r, ok := zn.parties[p.character]; ok {
		zn.tellParty(r.leader, p.character)
	}
}

// party returns the members of p's party in this zone and not being handed
// off — p itself first — or p alone.
func (zn *Node) party(p *player) []*player {
	out := []*player{p}
	r, ok := zn.parties[p.character]
	if !ok {
		return out
	}
	for _, c := range zn.partyOf(r.leader) {
		if q := zn.players[c]; q != nil && q != p && q.handoff == nil {
			out = append(out, q)
		}
	}
	return out
}
