package codec

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// MaxParty bounds the members of a party (a raid's size): the zone lets no
// one join a party that has as many, and a Party lists no more.
const MaxParty = 40

// PartyMember is one member of a player's party.
type PartyMember struct {
	ID   uint32 // its entity in the zone
	Name string
}

// PartyElsewhere is a member of a player's party in another zone.
type PartyElsewhere struct {
	Name, Zone string
	Leads      bool   // it leads the party
	ZoneName   string // what its zone is called (Welcome.ZoneName); Zone is the node's id
}

// Party returns a player's party (the leader first; none: no party),
// numbered seq among the zone's events for the player, with its members
// in other zones (the leader first when among them).
func (e *PlayerEncoder) Party(members []PartyMember, seq uint64, elsewhere ...PartyElsewhere) []byte {
	b := e.b
	b.Reset()
	n := min(len(members), MaxParty)
	var offs [MaxParty]flatbuffers.UOffsetT
	for i := 0; i < n; i++ {
		name := b.CreateString(clip(members[i].Name, MaxName))
		wire.PartyMemberStart(b)
		wire.PartyMemberAddId(b, members[i].ID)
		wire.PartyMemberAddName(b, name)
		offs[i] = wire.PartyMemberEnd(b)
	}
	v := offsetVector(b, offs[:n])
	var far flatbuffers.UOffsetT
	if k := min(len(elsewhere), MaxParty-n); k > 0 {
		var eoffs [MaxParty]flatbuffers.UOffsetT
		for i := 0; i < k; i++ {
			name, zone := b.CreateString(clip(elsewhere[i].Name, MaxName)), b.CreateString(clip(elsewhere[i].Zone, MaxName))
			var zoneName flatbuffers.UOffsetT
			if elsewhere[i].ZoneName != "" {
				zoneName = b.CreateString(clip(elsewhere[i].ZoneName, MaxName))
			}
			wire.PartyMemberElsewhereStart(b)
			addOffset(b, wire.PartyMemberElsewhereAddZoneName, zoneName)
			wire.PartyMemberElsewhereAddName(b, name)
			wire.PartyMemberElsewhereAddZone(b, zone)
			wire.PartyMemberElsewhereAddLeads(b, elsewhere[i].Leads)
			eoffs[i] = wire.PartyMemberElsewhereEnd(b)
		}
		far = offsetVector(b, eoffs[:k])
	}
	wire.PartyStart(b)
	wire.PartyAddMembers(b, v)
	wire.PartyAddSeq(b, seq)
	if far != 0 {
		wire.PartyAddElsewhere(b, far)
	}
	return e.server(wire.ServerBodyParty, wire.PartyEnd(b))
}

// ReadPartyElsewhere copies a checked Party's members in other zones.
func ReadPartyElsewhere(w *wire.Party) []PartyElsewhere {
	var out []PartyElsewhere
	var m wire.PartyMemberElsewhere
	for i := 0; i < w.ElsewhereLength(); i++ {
		if w.Elsewhere(&m, i) {
			out = append(out, PartyElsewhere{Name: string(m.Name()), Zone: string(m.Zone()), Leads: m.Leads(), ZoneName: string(m.ZoneName())})
		}
	}
	return out
}

// ReadParty copies a checked Party's members.
func ReadParty(w *wire.Party) []PartyMember {
	out := make([]PartyMember, 0, w.MembersLength())
	var m wire.PartyMember
	for i := 0; i < w.MembersLength(); i++ {
		if w.Members(&m, i) {
			out = append(out, PartyMember{ID: m.Id(), Name: string(m.Name())})
		}
	}
	return out
}

// PartyIDs appends the entities of a checked Party's members to ids.
func PartyIDs(w *wire.Party, ids []uint32) []uint32 {
	var m wire.PartyMember
	for i := 0; i < w.MembersLength(); i++ {
		if w.Members(&m, i) {
			ids = append(ids, m.Id())
		}
	}
	return ids
}
