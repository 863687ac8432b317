package zone

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// A zone knows the members of its parties it holds; the realm node keeps
// the rest (world/realm/parties.go). Every Config.PartyCheck, while the zone
// holds partied players (and once more when it no longer does), it reports
// them to the realm and asks about the parties led from elsewhere
// (RealmPartyCheck); the answer (RealmPartyAnswer) says which of those have
// ended, ended here in turn (partyEnded), and who the members of its
// parties are in other zones (Party.elsewhere, told to the members here
// whenever it changes; kept while a realm node that just started settles).
// A report that changes a party's members here has the realm node tell
// the other zones holding members of it (ZonePartiesChanged), which check
// within a quarter of a second: a change reaches every member in about
// half a second rather than at the other zones' next PartyCheck.

// checkParties reports the zone's partied players to its realm node and
// asks about the parties led from elsewhere; at most every
// Config.PartyCheck, one question at a time. A leader away here (its
// gateway gone) is this zone's to judge (pruneHistory).
func (zn *Node) checkParties() {
	now := zn.clock.Now()
	if zn.partyChecking || now.Before(zn.partyCheckAt) {
		return
	}
	zn.partyCheckAt = now.Add(zn.cfg.PartyCheck)
	realm := zn.partyRealm()
	if realm == "" {
		return
	}
	check := codec.PartyCheck{Parties: zn.ledElsewhere(), Members: zn.partyMembers(), ZoneName: zn.zoneName()}
	if len(check.Members) == 0 && !zn.partyReported {
		return
	}
	if realm == zn.cfg.Realm.Zone && !zn.node.Connected(realm) {
		zn.node.AddPeer(realm, zn.cfg.Realm.Addr)
	}
	zn.partyChecking = true
	payload := codec.NewRealmEncoder().PartyCheck(&check)
	err := zn.node.Ask(realm, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload}, max(zn.cfg.PartyCheck, time.Second), func(m node.Message, err error) {
		zn.partyChecking = false
		a, err := readPartyAnswer(m, err)
		if err != nil {
			zn.log.Debug("zone: the realm did not answer a party check", "realm", realm, "err", err)
			return
		}
		zn.partyReported = len(check.Members) > 0
		for _, e := range a.Ended {
			zn.partyEnded(e)
		}
		if !a.Settling {
			zn.setElsewhere(a.Elsewhere)
		}
	})
	if err != nil {
		zn.partyChecking = false
	}
}

// partyRealm is the realm node the zone's parties are checked with: its
// realm's, or for an instance node the realm whose copy it holds.
func (zn *Node) partyRealm() string {
	if zn.cfg.Pool != nil {
		return zn.loadedFor
	}
	return zn.cfg.Realm.Zone
}

// partySoon has the next party check come within a quarter of a second:
// a party changed here, and the realm, and through it the other zones,
// should know.
func (zn *Node) partySoon() {
	if soon := zn.clock.Now().Add(250 * time.Millisecond); soon.Before(zn.partyCheckAt) {
		zn.partyCheckAt = soon
	}
}

// partiesChanged has the zone check its parties soon when its realm node
// says that some of them changed in another zone: a member arrived there,
// left it, or joined or left the party there.
func (zn *Node) partiesChanged(from string, leaders []uint64) {
	if realm := zn.partyRealm(); from != realm || realm == "" {
		zn.log.Warn("zone: parties changed, said by a node that is not its realm", "peer", from)
		return
	}
	changed := make(map[uint64]bool, len(leaders))
	for _, l := range leaders {
		changed[l] = true
	}
	for _, r := range zn.parties {
		if changed[r.leader] {
			zn.partySoon()
			return
		}
	}
}

// ledElsewhere returns the parties held here whose leader is neither here
// nor away from here, each with the earliest its members here joined it,
// by leader.
func (zn *Node) ledElsewhere() []codec.Party {
	earliest := map[uint64]uint64{}
	for _, r := range zn.parties {
		if zn.players[r.leader] != nil {
			continue
		}
		if _, away := zn.away[r.leader]; away {
			continue
		}
		if j, ok := earliest[r.leader]; !ok || r.joined < j {
			earliest[r.leader] = r.joined
		}
	}
	out := make([]codec.Party, 0, len(earliest))
	for l, j := range earliest {
		out = append(out, codec.Party{Leader: l, JoinedUnixUs: j})
	}
	slices.SortFunc(out, func(a, b codec.Party) int { return cmp.Compare(a.Leader, b.Leader) })
	return out
}

// partyMembers returns the partied characters the zone holds, away ones
// included, by party and then in the order they joined.
func (zn *Node) partyMembers() []codec.PartyMemberAt {
	out := make([]codec.PartyMemberAt, 0, len(zn.parties))
	for c, r := range zn.parties {
		name := ""
		if p := zn.players[c]; p != nil {
			name = p.name
		} else if a, ok := zn.away[c]; ok {
			name = a.name
		} else {
			continue
		}
		out = append(out, codec.PartyMemberAt{Leader: r.leader, Character: c, JoinedUnixUs: r.joined, Name: name})
	}
	slices.SortFunc(out, func(a, b codec.PartyMemberAt) int {
		return cmp.Or(cmp.Compare(a.Leader, b.Leader), cmp.Compare(a.JoinedUnixUs, b.JoinedUnixUs), cmp.Compare(a.Character, b.Character))
	})
	return out
}

// partyEnded takes out of a party that has ended (its leader left the
// realm) its members here who joined it before e's time, and tells each.
// A leader that came here meanwhile leads its party here again: the zone
// judges it.
func (zn *Node) partyEnded(e codec.Party) {
	if zn.players[e.Leader] != nil {
		return
	}
	n := 0
	for c, r := range zn.parties {
		if r.leader != e.Leader || r.joined >= e.JoinedUnixUs {
			continue
		}
		delete(zn.parties, c)
		n++
		if zn.players[c] != nil {
			zn.tellNoParty(c)
		}
	}
	if n == 0 {
		return
	}
	zn.metrics.partiesEnded.Inc()
	delete(zn.elsewhere, e.Leader)
	if len(zn.partyOf(e.Leader)) > 0 {
		zn.tellParty(e.Leader) // those who joined the leader's new session
	}
}

// setElsewhere keeps the realm's word on the members of the zone's parties
// in other zones, and tells the members here of each party whose members
// elsewhere changed.
func (zn *Node) setElsewhere(members []codec.PartyMemberAt) {
	now := map[uint64][]codec.PartyElsewhere{}
	for _, m := range members {
		now[m.Leader] = append(now[m.Leader], codec.PartyElsewhere{Name: m.Name, Zone: m.Zone, Leads: m.Character == m.Leader, ZoneName: m.ZoneName})
	}
	for leader := range zn.elsewhere {
		if _, ok := now[leader]; !ok {
			now[leader] = nil // none elsewhere any more
		}
	}
	for leader, far := range now {
		if slices.Equal(far, zn.elsewhere[leader]) {
			continue
		}
		if len(far) == 0 {
			delete(zn.elsewhere, leader)
		} else {
			zn.elsewhere[leader] = far
		}
		if len(zn.partyOf(leader)) > 0 {
			zn.tellParty(leader)
		}
	}
}

// readPartyAnswer reads the realm's answer to a RealmPartyCheck.
func readPartyAnswer(m node.Message, err error) (codec.PartyAnswer, error) {
	if err != nil {
		return codec.PartyAnswer{}, err
	}
	var msg wire.RealmMessage
	if err := codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg); err != nil {
		return codec.PartyAnswer{}, err
	}
	if msg.BodyType() != wire.RealmBodyRealmPartyAnswer {
		return codec.PartyAnswer{}, errors.New("the realm answered " + msg.BodyType().String())
	}
	var w wire.RealmPartyAnswer
	codec.Member(msg.Body, &w)
	return codec.ReadPartyAnswer(&w), nil
}
