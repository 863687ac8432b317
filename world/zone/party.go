package zone

import (
	"bytes"
	"strings"
)

// Parties: a minimal group of players who enter an instance together. A
// player joins the party of another by saying "/party NAME" (on any chat
// channel: the zone takes the command, nobody hears it), and leaves with
// "/party". A party is this zone's: a member who leaves the zone leaves it
// too. When a member steps into an instance portal, every member in the
// zone is taken into the same instance.

// SystemParty is the system message code of party news.
const SystemParty = 4

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
		zn.leaveParty(p.character)
		l := leader.character
		if ll, ok := zn.parties[l]; ok {
			l = ll // its party's leader
		}
		zn.parties[l], zn.parties[p.character] = l, l
		tell("You joined " + zn.players[l].name + "'s party.")
	}
	return true
}

// leaveParty takes a character out of its party (a leader's party goes
// with it).
func (zn *Node) leaveParty(character uint64) {
	l, ok := zn.parties[character]
	if !ok {
		return
	}
	delete(zn.parties, character)
	if l == character {
		for c, cl := range zn.parties {
			if cl == character {
				delete(zn.parties, c)
			}
		}
	}
}

// party returns the members of p's party in this zone and not being handed
// off — p itself first — or p alone.
func (zn *Node) party(p *player) []*player {
	out := []*player{p}
	l, ok := zn.parties[p.character]
	if !ok {
		return out
	}
	for c, cl := range zn.parties {
		if q := zn.players[c]; cl == l && q != nil && q != p && q.handoff == nil {
			out = append(out, q)
		}
	}
	return out
}
