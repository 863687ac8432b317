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
// "/party". A party is this zone's: a member who leaves the zone leaves it
// too. When a member steps into an instance portal, every member in the
// zone is taken into the same instance.
//
// Each member is told its party, whole (codec.Party: the leader first,
// then the others in the order they joined), whenever it changes, and
// again at its first input through a new gateway (player.retell). Its
// gateway reads it too: a zone that bounds what a player is shown
// (MaxVisible) has the gateway show party members before anyone else.

// SystemParty is the system message code of party news.
const SystemParty = 4

// partyRole is a partied character's place: its party's leader, and when
// it joined (the order its party lists it in).
type partyRole struct {
	leader, joined uint64
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
			tell("You are in " + zn.players[l].name + "'s party already.")
			return true
		}
		if len(zn.partyOf(l)) >= codec.MaxParty {
			tell("That party is full.")
			return true
		}
		zn.leaveParty(p.character)
		if _, ok := zn.parties[l]; !ok {
			zn.partyJoins++
			zn.parties[l] = partyRole{leader: l, joined: zn.partyJoins}
		}
		zn.partyJoins++
		zn.parties[p.character] = partyRole{leader: l, joined: zn.partyJoins}
		tell("You joined " + zn.players[l].name + "'s party.")
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
	members := zn.partyOf(r.leader)
	delete(zn.parties, character)
	if r.leader == character {
		for _, c := range members {
			delete(zn.parties, c)
		}
	}
	for _, c := range members {
		if _, still := zn.parties[c]; !still && zn.players[c] != nil {
			zn.tellNoParty(c)
		}
	}
	if rest := zn.partyOf(r.leader); len(rest) == 1 {
		delete(zn.parties, r.leader) // a leader alone leads no party
		zn.tellNoParty(r.leader)
	} else if len(rest) > 1 {
		zn.tellParty(r.leader)
	}
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
	slices.SortFunc(out, func(a, b uint64) int { return cmp.Compare(zn.parties[a].joined, zn.parties[b].joined) })
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
	msg := bytes.Clone(zn.penc.Party(members, seq))
	if len(only) > 0 {
		chars = only
	}
	for _, c := range chars {
		if zn.players[c] != nil {
			zn.deliver(c, seq, msg)
		}
	}
}

// tellNoParty tells a character it is in no party.
func (zn *Node) tellNoParty(character uint64) {
	seq := zn.nextSeq()
	zn.deliver(character, seq, bytes.Clone(zn.penc.Party(nil, seq)))
}

// retell sends a player what its client may not hold after a Welcome
// through a new gateway: its inventory, and its party.
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
