package codec

import (
	"bytes"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// SessionCreated is the login node's hand-off of a player to the realm
// node (wire.SessionCreated).
type SessionCreated struct {
	Handle        []byte
	Account       string
	ExpiresUnixMs int64
	Address       string
	// WaitingSinceUnixMs is when the player joined its full realm's line
	// at the login node (0: it was not in one).
	WaitingSinceUnixMs int64
}

// RealmEncoder encodes realm messages with a reused builder; one per
// goroutine.
type RealmEncoder struct {
	b     *flatbuffers.Builder
	ident [4]byte
}

// NewRealmEncoder returns a realm message encoder.
func NewRealmEncoder() *RealmEncoder {
	return &RealmEncoder{b: flatbuffers.NewBuilder(256), ident: ident(identRealmMessage)}
}

// SessionCreated returns a SessionCreated message, valid until the next
// call.
func (e *RealmEncoder) SessionCreated(s *SessionCreated) []byte {
	b := e.b
	b.Reset()
	h, a, addr := b.CreateByteVector(s.Handle), b.CreateString(s.Account), b.CreateString(s.Address)
	wire.SessionCreatedStart(b)
	wire.SessionCreatedAddExpiresUnixMs(b, s.ExpiresUnixMs)
	wire.SessionCreatedAddHandle(b, h)
	wire.SessionCreatedAddAccount(b, a)
	wire.SessionCreatedAddAddress(b, addr)
	wire.SessionCreatedAddWaitingSinceUnixMs(b, s.WaitingSinceUnixMs)
	return e.finish(wire.RealmBodySessionCreated, wire.SessionCreatedEnd(b))
}

// Connect returns a gateway's RealmConnect for a session handle.
func (e *RealmEncoder) Connect(handle []byte) []byte {
	b := e.b
	b.Reset()
	h := b.CreateByteVector(handle)
	wire.RealmConnectStart(b)
	wire.RealmConnectAddHandle(b, h)
	return e.finish(wire.RealmBodyRealmConnect, wire.RealmConnectEnd(b))
}

// RealmConnected is the realm's answer to a gateway's RealmConnect.
type RealmConnected struct {
	Status   wire.RealmStatus
	Message  string
	Account  string
	Zone     string
	ZoneAddr string
	Entered  PlayerEntered
	// ResumeToken is the player's token to come back after a lost
	// connection (Welcome.ResumeToken).
	ResumeToken []byte
}

// Connected returns the answer to a RealmConnect.
func (e *RealmEncoder) Connected(c *RealmConnected) []byte {
	b := e.b
	b.Reset()
	m, a, z, za := b.CreateString(c.Message), b.CreateString(c.Account), b.CreateString(c.Zone), b.CreateString(c.ZoneAddr)
	entered := packPlayerEntered(b, &c.Entered)
	var token flatbuffers.UOffsetT
	if len(c.ResumeToken) > 0 {
		token = b.CreateByteVector(c.ResumeToken)
	}
	wire.RealmConnectedStart(b)
	if token != 0 {
		wire.RealmConnectedAddResumeToken(b, token)
	}
	wire.RealmConnectedAddMessage(b, m)
	wire.RealmConnectedAddAccount(b, a)
	wire.RealmConnectedAddZone(b, z)
	wire.RealmConnectedAddZoneAddr(b, za)
	wire.RealmConnectedAddEntered(b, entered)
	wire.RealmConnectedAddStatus(b, c.Status)
	return e.finish(wire.RealmBodyRealmConnected, wire.RealmConnectedEnd(b))
}

// ReadRealmConnected copies a checked RealmConnected.
func ReadRealmConnected(w *wire.RealmConnected) RealmConnected {
	c := RealmConnected{Status: w.Status(), Message: string(w.Message()), Account: string(w.Account()),
		Zone: string(w.Zone()), ZoneAddr: string(w.ZoneAddr()), ResumeToken: bytes.Clone(w.ResumeTokenBytes())}
	var pe wire.ZonePlayerEntered
	if w.Entered(&pe) != nil {
		c.Entered = ReadPlayerEntered(&pe)
	}
	return c
}

// PlayerLeft returns a gateway's notice that a player left.
func (e *RealmEncoder) PlayerLeft(character uint64) []byte { return e.playerLeft(character, false) }

// PlayerKicked tells the realm a player was made to leave: its resume
// token is void at once.
func (e *RealmEncoder) PlayerKicked(character uint64) []byte { return e.playerLeft(character, true) }

func (e *RealmEncoder) playerLeft(character uint64, revoke bool) []byte {
	b := e.b
	b.Reset()
	wire.RealmPlayerLeftStart(b)
	wire.RealmPlayerLeftAddCharacter(b, character)
	wire.RealmPlayerLeftAddRevoke(b, revoke)
	return e.finish(wire.RealmBodyRealmPlayerLeft, wire.RealmPlayerLeftEnd(b))
}

// PlayerAtGateway is one player a gateway holds (RealmGatewayPlayers).
type PlayerAtGateway struct {
	Character   uint64
	Account     string
	Zone        string
	ResumeToken []byte
}

// GatewayPlayers returns a gateway's report of the players it holds, for a
// realm node that restarted.
func (e *RealmEncoder) GatewayPlayers(players []PlayerAtGateway) []byte {
	b := e.b
	b.Reset()
	offs := make([]flatbuffers.UOffsetT, len(players))
	for i := range players {
		p := &players[i]
		a, z := b.CreateString(clip(p.Account, MaxName)), b.CreateString(clip(p.Zone, MaxName))
		var token flatbuffers.UOffsetT
		if len(p.ResumeToken) == SessionHandleSize {
			token = b.CreateByteVector(p.ResumeToken)
		}
		wire.RealmPlayerAtStart(b)
		wire.RealmPlayerAtAddCharacter(b, p.Character)
		wire.RealmPlayerAtAddAccount(b, a)
		wire.RealmPlayerAtAddZone(b, z)
		if token != 0 {
			wire.RealmPlayerAtAddResumeToken(b, token)
		}
		offs[i] = wire.RealmPlayerAtEnd(b)
	}
	v := offsetVector(b, offs)
	wire.RealmGatewayPlayersStart(b)
	wire.RealmGatewayPlayersAddPlayers(b, v)
	return e.finish(wire.RealmBodyRealmGatewayPlayers, wire.RealmGatewayPlayersEnd(b))
}

// ReadGatewayPlayers copies a checked RealmGatewayPlayers.
func ReadGatewayPlayers(w *wire.RealmGatewayPlayers) []PlayerAtGateway {
	out := make([]PlayerAtGateway, 0, w.PlayersLength())
	var p wire.RealmPlayerAt
	for i := 0; i < w.PlayersLength(); i++ {
		w.Players(&p, i)
		out = append(out, PlayerAtGateway{Character: p.Character(), Account: string(p.Account()), Zone: string(p.Zone()),
			ResumeToken: bytes.Clone(p.ResumeTokenBytes())})
	}
	return out
}

func (e *RealmEncoder) finish(typ wire.RealmBody, body flatbuffers.UOffsetT) []byte {
	b := e.b
	wire.RealmMessageStart(b)
	wire.RealmMessageAddBodyType(b, typ)
	wire.RealmMessageAddBody(b, body)
	b.FinishWithFileIdentifier(wire.RealmMessageEnd(b), e.ident[:])
	return b.FinishedBytes()
}

// ReadSessionCreated copies a checked SessionCreated.
func ReadSessionCreated(w *wire.SessionCreated) SessionCreated {
	return SessionCreated{Handle: append([]byte(nil), w.HandleBytes()...), Account: string(w.Account()),
		ExpiresUnixMs: w.ExpiresUnixMs(), Address: string(w.Address()), WaitingSinceUnixMs: w.WaitingSinceUnixMs()}
}

// PlayerMoved tells the realm a handoff moved a character to zone.
func (e *RealmEncoder) PlayerMoved(character uint64, zone string) []byte {
	b := e.b
	b.Reset()
	z := b.CreateString(clip(zone, MaxName))
	wire.RealmPlayerMovedStart(b)
	wire.RealmPlayerMovedAddCharacter(b, character)
	wire.RealmPlayerMovedAddZone(b, z)
	return e.finish(wire.RealmBodyRealmPlayerMoved, wire.RealmPlayerMovedEnd(b))
}

// InstanceGranted is the realm's answer to an instance request: Node (at
// Addr, players arriving at Entry) or, when empty, Reason.
type InstanceGranted struct {
	Node, Addr     string
	EntryX, EntryY float32
	Reason         string
}

// InstanceRequest asks the realm for an instance of template for players.
func (e *RealmEncoder) InstanceRequest(template string, players int) []byte {
	b := e.b
	b.Reset()
	t := b.CreateString(clip(template, MaxName))
	wire.RealmInstanceRequestStart(b)
	wire.RealmInstanceRequestAddTemplate(b, t)
	wire.RealmInstanceRequestAddPlayers(b, uint8(min(max(players, 0), 255)))
	return e.finish(wire.RealmBodyRealmInstanceRequest, wire.RealmInstanceRequestEnd(b))
}

// InstanceGranted answers an instance request.
func (e *RealmEncoder) InstanceGranted(g *InstanceGranted) []byte {
	b := e.b
	b.Reset()
	n, a, r := b.CreateString(clip(g.Node, MaxName)), b.CreateString(clip(g.Addr, MaxName)), b.CreateString(clip(g.Reason, MaxText))
	wire.RealmInstanceGrantedStart(b)
	wire.RealmInstanceGrantedAddNode(b, n)
	wire.RealmInstanceGrantedAddAddr(b, a)
	wire.RealmInstanceGrantedAddReason(b, r)
	wire.RealmInstanceGrantedAddEntryX(b, g.EntryX)
	wire.RealmInstanceGrantedAddEntryY(b, g.EntryY)
	return e.finish(wire.RealmBodyRealmInstanceGranted, wire.RealmInstanceGrantedEnd(b))
}

// ReadInstanceGranted reads a checked RealmInstanceGranted.
func ReadInstanceGranted(w *wire.RealmInstanceGranted) InstanceGranted {
	return InstanceGranted{Node: string(w.Node()), Addr: string(w.Addr()), EntryX: w.EntryX(), EntryY: w.EntryY(), Reason: string(w.Reason())}
}

// PoolIdle tells the realm an instance node holds no instance (released:
// the template of the one it let go, if any).
func (e *RealmEncoder) PoolIdle(released string) []byte {
	b := e.b
	b.Reset()
	r := b.CreateString(clip(released, MaxName))
	wire.RealmPoolIdleStart(b)
	wire.RealmPoolIdleAddReleased(b, r)
	return e.finish(wire.RealmBodyRealmPoolIdle, wire.RealmPoolIdleEnd(b))
}

// PopulationRequest asks a realm node how many players it has.
func (e *RealmEncoder) PopulationRequest() []byte {
	e.b.Reset()
	wire.RealmPopulationRequestStart(e.b)
	return e.finish(wire.RealmBodyRealmPopulationRequest, wire.RealmPopulationRequestEnd(e.b))
}

// Population answers a PopulationRequest.
func (e *RealmEncoder) Population(players uint32) []byte {
	e.b.Reset()
	wire.RealmPopulationStart(e.b)
	wire.RealmPopulationAddPlayers(e.b, players)
	return e.finish(wire.RealmBodyRealmPopulation, wire.RealmPopulationEnd(e.b))
}

// SessionAssigned answers a login node's SessionCreated: the gateway the
// player should connect to (its public address; empty: any).
//
// full says every gateway is full: the session was not taken, and the
// player is to try again after retryAfterMs.
func (e *RealmEncoder) SessionAssigned(gateway string, full bool, retryAfterMs uint32) []byte {
	e.b.Reset()
	g := e.b.CreateString(clip(gateway, MaxName))
	wire.RealmSessionAssignedStart(e.b)
	wire.RealmSessionAssignedAddGateway(e.b, g)
	wire.RealmSessionAssignedAddFull(e.b, full)
	wire.RealmSessionAssignedAddRetryAfterMs(e.b, retryAfterMs)
	return e.finish(wire.RealmBodyRealmSessionAssigned, wire.RealmSessionAssignedEnd(e.b))
}

// Party is a party by its leader, and a time (Unix microseconds) that says
// which of its members are meant (wire.RealmParty): in a PartyCheck, the
// earliest any of its members in the asking zone joined it; in an answer,
// the party has ended for its members who joined it before that time.
type Party struct {
	Leader, JoinedUnixUs uint64
}

// AllMembers is the time of an ended party that has ended for all its
// members.
const AllMembers = ^uint64(0)

// PartyMemberAt is a member of a party (wire.RealmPartyMember): the
// party's leader, the member's character, when it joined (Unix
// microseconds), its name, and where the realm says so its zone.
type PartyMemberAt struct {
	Leader, Character, JoinedUnixUs uint64
	Name, Zone                      string
	ZoneName                        string // what Zone is called (in an answer)
}

// PartyCheck is a zone's question to its realm about its parties
// (wire.RealmPartyCheck): those led from elsewhere, and every partied
// character it holds.
type PartyCheck struct {
	Parties []Party
	Members []PartyMemberAt
	// ZoneName is what the asking zone is called, told to its members'
	// party in other zones.
	ZoneName string
}

// PartyAnswer is the realm's answer (wire.RealmPartyAnswer): the parties
// that have ended, and the members elsewhere of those the zone holds
// members of.
type PartyAnswer struct {
	Ended     []Party
	Elsewhere []PartyMemberAt
	// Settling says the realm node started too recently to have heard
	// from every zone: Elsewhere may lack members.
	Settling bool
}

// PartyCheck encodes a zone's RealmPartyCheck (at most MaxPartyCheck
// parties and MaxPartyMembers members: the rest are left out).
func (e *RealmEncoder) PartyCheck(c *PartyCheck) []byte {
	b := e.b
	b.Reset()
	members := e.partyMembers(c.Members)
	parties := e.parties(c.Parties)
	var zoneName flatbuffers.UOffsetT
	if c.ZoneName != "" {
		zoneName = b.CreateString(clip(c.ZoneName, MaxName))
	}
	wire.RealmPartyCheckStart(b)
	addOffset(b, wire.RealmPartyCheckAddZoneName, zoneName)
	wire.RealmPartyCheckAddParties(b, parties)
	wire.RealmPartyCheckAddMembers(b, members)
	return e.finish(wire.RealmBodyRealmPartyCheck, wire.RealmPartyCheckEnd(b))
}

// PartyAnswer encodes the realm's RealmPartyAnswer (bounded as a
// PartyCheck).
func (e *RealmEncoder) PartyAnswer(a *PartyAnswer) []byte {
	b := e.b
	b.Reset()
	members := e.partyMembers(a.Elsewhere)
	ended := e.parties(a.Ended)
	wire.RealmPartyAnswerStart(b)
	wire.RealmPartyAnswerAddEnded(b, ended)
	wire.RealmPartyAnswerAddElsewhere(b, members)
	wire.RealmPartyAnswerAddSettling(b, a.Settling)
	return e.finish(wire.RealmBodyRealmPartyAnswer, wire.RealmPartyAnswerEnd(b))
}

func (e *RealmEncoder) parties(parties []Party) flatbuffers.UOffsetT {
	b := e.b
	parties = parties[:min(len(parties), MaxPartyCheck)]
	b.StartVector(sizeRealmParty, len(parties), 8)
	for i := len(parties) - 1; i >= 0; i-- {
		wire.CreateRealmParty(b, parties[i].Leader, parties[i].JoinedUnixUs)
	}
	return b.EndVector(len(parties))
}

func (e *RealmEncoder) partyMembers(members []PartyMemberAt) flatbuffers.UOffsetT {
	b := e.b
	members = members[:min(len(members), MaxPartyMembers)]
	offs := make([]flatbuffers.UOffsetT, len(members))
	for i := range members {
		m := &members[i]
		name := b.CreateString(clip(m.Name, MaxName))
		var zone, zoneName flatbuffers.UOffsetT
		if m.Zone != "" {
			zone = b.CreateString(clip(m.Zone, MaxName))
		}
		if m.ZoneName != "" {
			zoneName = b.CreateString(clip(m.ZoneName, MaxName))
		}
		wire.RealmPartyMemberStart(b)
		addOffset(b, wire.RealmPartyMemberAddZoneName, zoneName)
		wire.RealmPartyMemberAddLeader(b, m.Leader)
		wire.RealmPartyMemberAddCharacter(b, m.Character)
		wire.RealmPartyMemberAddJoinedUnixUs(b, m.JoinedUnixUs)
		wire.RealmPartyMemberAddName(b, name)
		if zone != 0 {
			wire.RealmPartyMemberAddZone(b, zone)
		}
		offs[i] = wire.RealmPartyMemberEnd(b)
	}
	return offsetVector(b, offs)
}

// ReadPartyCheck copies a checked RealmPartyCheck.
func ReadPartyCheck(w *wire.RealmPartyCheck) PartyCheck {
	parties, members := readPartyLists(w.PartiesLength(), w.Parties, w.MembersLength(), w.Members)
	return PartyCheck{Parties: parties, Members: members, ZoneName: string(w.ZoneName())}
}

// ReadPartyAnswer copies a checked RealmPartyAnswer.
func ReadPartyAnswer(w *wire.RealmPartyAnswer) PartyAnswer {
	ended, members := readPartyLists(w.EndedLength(), w.Ended, w.ElsewhereLength(), w.Elsewhere)
	return PartyAnswer{Ended: ended, Elsewhere: members, Settling: w.Settling()}
}

// readPartyLists copies the two vectors a RealmPartyCheck and a
// RealmPartyAnswer have, through their accessors.
func readPartyLists(np int, party func(*wire.RealmParty, int) bool, nm int, member func(*wire.RealmPartyMember, int) bool) ([]Party, []PartyMemberAt) {
	parties, members := make([]Party, 0, np), make([]PartyMemberAt, 0, nm)
	var p wire.RealmParty
	for i := 0; i < np; i++ {
		if party(&p, i) {
			parties = append(parties, Party{Leader: p.Leader(), JoinedUnixUs: p.JoinedUnixUs()})
		}
	}
	var m wire.RealmPartyMember
	for i := 0; i < nm; i++ {
		if member(&m, i) {
			members = append(members, readPartyMember(&m))
		}
	}
	return parties, members
}

func readPartyMember(m *wire.RealmPartyMember) PartyMemberAt {
	return PartyMemberAt{Leader: m.Leader(), Character: m.Character(), JoinedUnixUs: m.JoinedUnixUs(), Name: string(m.Name()), Zone: string(m.Zone()),
		ZoneName: string(m.ZoneName())}
}
