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

// Party returns a player's party (the leader first; none: no party),
// numbered seq among the zone's events for the player.
func (e *PlayerEncoder) Party(members []PartyMember, seq uint64) []byte {
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
	wire.PartyStart(b)
	wire.PartyAddMembers(b, v)
	wire.PartyAddSeq(b, seq)
	return e.server(wire.ServerBodyParty, wire.PartyEnd(b))
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
