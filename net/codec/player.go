package codec

import (
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// Input is one player input datagram (wire.Input).
type Input struct {
	Seq, Ack, ClientTimeMs uint32
	X, Y                   int32 // claimed position, 1/256 m
	Heading                uint8
	MoveX, MoveY           int8
	Actions                uint16
}

// ReadInput decodes an input datagram into in.
func ReadInput(buf []byte, in *Input) error {
	var w wire.Input
	if err := DecodeInput(buf, &w); err != nil {
		return err
	}
	*in = Input{Seq: w.Seq(), Ack: w.Ack(), ClientTimeMs: w.ClientTimeMs(), X: w.X(), Y: w.Y(),
		Heading: w.Heading(), MoveX: w.MoveX(), MoveY: w.MoveY(), Actions: w.Actions()}
	return nil
}

// PlayerEncoder encodes the messages of the player protocol: inputs and the
// reliable messages in both directions. One per goroutine.
type PlayerEncoder struct {
	b                                    *flatbuffers.Builder
	identInput, identClient, identServer [4]byte
}

// NewPlayerEncoder returns an encoder for player messages.
func NewPlayerEncoder() *PlayerEncoder {
	return &PlayerEncoder{b: flatbuffers.NewBuilder(512),
		identInput: ident(identInput), identClient: ident(identClientMessage), identServer: ident(identServerMessage)}
}

// Input returns an input datagram.
func (e *PlayerEncoder) Input(in *Input) []byte {
	b := e.b
	b.Reset()
	wire.InputStart(b)
	wire.InputAddSeq(b, in.Seq)
	wire.InputAddAck(b, in.Ack)
	wire.InputAddClientTimeMs(b, in.ClientTimeMs)
	wire.InputAddX(b, in.X)
	wire.InputAddY(b, in.Y)
	wire.InputAddActions(b, in.Actions)
	wire.InputAddHeading(b, in.Heading)
	wire.InputAddMoveX(b, in.MoveX)
	wire.InputAddMoveY(b, in.MoveY)
	b.FinishWithFileIdentifier(wire.InputEnd(b), e.identInput[:])
	return b.FinishedBytes()
}

func (e *PlayerEncoder) client(typ wire.ClientBody, body flatbuffers.UOffsetT) []byte {
	b := e.b
	wire.ClientMessageStart(b)
	wire.ClientMessageAddBodyType(b, typ)
	wire.ClientMessageAddBody(b, body)
	b.FinishWithFileIdentifier(wire.ClientMessageEnd(b), e.identClient[:])
	return b.FinishedBytes()
}

func (e *PlayerEncoder) server(typ wire.ServerBody, body flatbuffers.UOffsetT) []byte {
	b := e.b
	wire.ServerMessageStart(b)
	wire.ServerMessageAddBodyType(b, typ)
	wire.ServerMessageAddBody(b, body)
	b.FinishWithFileIdentifier(wire.ServerMessageEnd(b), e.identServer[:])
	return b.FinishedBytes()
}

// LoginRequest returns a login request.
func (e *PlayerEncoder) LoginRequest(account, password, realm string, clientVersion uint32, ticket []byte) []byte {
	b := e.b
	b.Reset()
	a, p, r := b.CreateString(account), b.CreateString(password), b.CreateString(realm)
	var t flatbuffers.UOffsetT
	if len(ticket) > 0 {
		t = b.CreateByteVector(ticket)
	}
	wire.LoginRequestStart(b)
	wire.LoginRequestAddAccount(b, a)
	wire.LoginRequestAddPassword(b, p)
	wire.LoginRequestAddRealm(b, r)
	wire.LoginRequestAddClientVersion(b, clientVersion)
	addOffset(b, wire.LoginRequestAddTicket, t)
	return e.client(wire.ClientBodyLoginRequest, wire.LoginRequestEnd(b))
}

// RegisterRequest returns a request to create an account.
func (e *PlayerEncoder) RegisterRequest(account, password string, clientVersion uint32) []byte {
	b := e.b
	b.Reset()
	a, p := b.CreateString(account), b.CreateString(password)
	wire.RegisterRequestStart(b)
	wire.RegisterRequestAddAccount(b, a)
	wire.RegisterRequestAddPassword(b, p)
	wire.RegisterRequestAddClientVersion(b, clientVersion)
	return e.client(wire.ClientBodyRegisterRequest, wire.RegisterRequestEnd(b))
}

// RealmListRequest returns a request for the realms a login node serves.
func (e *PlayerEncoder) RealmListRequest() []byte {
	e.b.Reset()
	wire.RealmListRequestStart(e.b)
	return e.client(wire.ClientBodyRealmListRequest, wire.RealmListRequestEnd(e.b))
}

// Connect returns a connect request with a session handle (or, to resume
// a lost session, its resume token); redirects counts the gateways that
// redirected it so far.
//
// A resuming connection gives lastEvent, the highest Chat or SystemMessage
// seq it saw.
//
// realm names the session's realm, for a gateway that serves several.
func (e *PlayerEncoder) Connect(handle []byte, characterID uint64, redirects uint8, resume bool, lastEvent uint64, realm string) []byte {
	b := e.b
	b.Reset()
	h := b.CreateByteVector(handle)
	var r flatbuffers.UOffsetT
	if realm != "" {
		r = b.CreateString(clip(realm, MaxName))
	}
	wire.ConnectStart(b)
	wire.ConnectAddCharacterId(b, characterID)
	wire.ConnectAddRedirects(b, redirects)
	wire.ConnectAddResume(b, resume)
	wire.ConnectAddLastEvent(b, lastEvent)
	wire.ConnectAddSessionHandle(b, h)
	addOffset(b, wire.ConnectAddRealm, r)
	return e.client(wire.ClientBodyConnect, wire.ConnectEnd(b))
}

// Chat channels (ChatSend.channel, Chat.channel).
const (
	ChatSay     = 0 // players within earshot
	ChatZone    = 1 // every player in the zone
	ChatWhisper = 2 // the player named in ChatSend.to
)

// ChatSend returns a chat message from a player.
func (e *PlayerEncoder) ChatSend(channel uint8, to, text string) []byte {
	b := e.b
	b.Reset()
	t, x := b.CreateString(to), b.CreateString(text)
	wire.ChatSendStart(b)
	wire.ChatSendAddTo(b, t)
	wire.ChatSendAddText(b, x)
	wire.ChatSendAddChannel(b, channel)
	return e.client(wire.ClientBodyChatSend, wire.ChatSendEnd(b))
}

// Logout returns a logout request.
func (e *PlayerEncoder) Logout() []byte {
	b := e.b
	b.Reset()
	wire.LogoutStart(b)
	return e.client(wire.ClientBodyLogout, wire.LogoutEnd(b))
}

// LoginResult is what a login node answers (wire.LoginResult).
type LoginResult struct {
	Status        wire.LoginStatus
	SessionHandle []byte
	ExpiresUnixMs int64
	Gateways      []string
	Message       string
	// RetryAfterMs is a Busy's hint: when to try again (0: none).
	RetryAfterMs uint32
}

// LoginResult returns a login result.
func (e *PlayerEncoder) LoginResult(r *LoginResult) []byte {
	b := e.b
	b.Reset()
	var gws flatbuffers.UOffsetT
	if len(r.Gateways) > 0 {
		// Strings first, then the vector of their offsets; the builder has
		// no room for the offsets elsewhere, so they are built twice over a
		// small fixed array (a login result names few gateways).
		var offs [64]flatbuffers.UOffsetT
		n := min(len(r.Gateways), len(offs))
		for i := 0; i < n; i++ {
			offs[i] = b.CreateString(r.Gateways[i])
		}
		gws = offsetVector(b, offs[:n])
	}
	h, m := b.CreateByteVector(r.SessionHandle), b.CreateString(r.Message)
	wire.LoginResultStart(b)
	wire.LoginResultAddExpiresUnixMs(b, r.ExpiresUnixMs)
	wire.LoginResultAddSessionHandle(b, h)
	addOffset(b, wire.LoginResultAddGateways, gws)
	wire.LoginResultAddMessage(b, m)
	wire.LoginResultAddStatus(b, r.Status)
	wire.LoginResultAddRetryAfterMs(b, r.RetryAfterMs)
	return e.server(wire.ServerBodyLoginResult, wire.LoginResultEnd(b))
}

// How often a login node tells a player in line its place (LoginQueued):
// every LineNearEvery in the first LineNear places, every LineFarEvery
// further back. It is the protocol's cadence: a client takes a login node
// that stays silent well past it for dead (net/client).
const (
	LineNear      = 20
	LineNearEvery = time.Second
	LineFarEvery  = 5 * time.Second
)

// LoginQueued tells a player its login waits its turn: its place and the
// wait expected.
func (e *PlayerEncoder) LoginQueued(position, estimatedWaitMs uint32, realmFull bool, ticket []byte) []byte {
	b := e.b
	b.Reset()
	var t flatbuffers.UOffsetT
	if len(ticket) > 0 {
		t = b.CreateByteVector(ticket)
	}
	wire.LoginQueuedStart(b)
	wire.LoginQueuedAddPosition(b, position)
	wire.LoginQueuedAddEstimatedWaitMs(b, estimatedWaitMs)
	wire.LoginQueuedAddRealmFull(b, realmFull)
	addOffset(b, wire.LoginQueuedAddTicket, t)
	return e.server(wire.ServerBodyLoginQueued, wire.LoginQueuedEnd(b))
}

// Redirect tells a player to connect to another gateway.
func (e *PlayerEncoder) Redirect(address, reason string) []byte {
	b := e.b
	b.Reset()
	a, r := b.CreateString(address), b.CreateString(reason)
	wire.RedirectStart(b)
	wire.RedirectAddAddress(b, a)
	wire.RedirectAddReason(b, r)
	return e.server(wire.ServerBodyRedirect, wire.RedirectEnd(b))
}

// Welcome is the gateway's acceptance of a connection (wire.Welcome).
type Welcome struct {
	EntityID       uint32
	Zone           string
	TickHz         uint8
	CellSize       uint16
	SnapshotBudget uint16
	X, Y           int32
	// ResumeToken brings the player back through any gateway after the
	// connection is lost (SessionHandleSize bytes; none when empty).
	ResumeToken []byte
	// ZoneName is what the zone is called, to show the player; Zone is its
	// node's id.
	ZoneName string
}

// Welcome returns a welcome message.
func (e *PlayerEncoder) Welcome(w *Welcome) []byte {
	b := e.b
	b.Reset()
	z := b.CreateString(w.Zone)
	var token, zoneName flatbuffers.UOffsetT
	if w.ZoneName != "" {
		zoneName = b.CreateString(clip(w.ZoneName, MaxName))
	}
	if len(w.ResumeToken) > 0 {
		token = b.CreateByteVector(w.ResumeToken)
	}
	wire.WelcomeStart(b)
	addOffset(b, wire.WelcomeAddZoneName, zoneName)
	if token != 0 {
		wire.WelcomeAddResumeToken(b, token)
	}
	wire.WelcomeAddEntityId(b, w.EntityID)
	wire.WelcomeAddZone(b, z)
	wire.WelcomeAddX(b, w.X)
	wire.WelcomeAddY(b, w.Y)
	if w.CellSize != 0 {
		wire.WelcomeAddCellSize(b, w.CellSize)
	}
	wire.WelcomeAddSnapshotBudget(b, w.SnapshotBudget)
	wire.WelcomeAddTickHz(b, w.TickHz)
	return e.server(wire.ServerBodyWelcome, wire.WelcomeEnd(b))
}

// Chat returns a chat line for a player.
//
// seq is the zone's number of the line (0: none).
func (e *PlayerEncoder) Chat(channel uint8, from, text string, seq uint64) []byte {
	b := e.b
	b.Reset()
	f, t := b.CreateString(from), b.CreateString(text)
	wire.ChatStart(b)
	wire.ChatAddFrom(b, f)
	wire.ChatAddText(b, t)
	wire.ChatAddChannel(b, channel)
	wire.ChatAddSeq(b, seq)
	return e.server(wire.ServerBodyChat, wire.ChatEnd(b))
}

// Spawn returns the rarely changing data of an entity that entered view.
func (e *PlayerEncoder) Spawn(id uint32, kind wire.EntityKind, template uint16, name string) []byte {
	b := e.b
	b.Reset()
	n := b.CreateString(name)
	wire.SpawnStart(b)
	wire.SpawnAddId(b, id)
	wire.SpawnAddName(b, n)
	wire.SpawnAddTemplate(b, template)
	wire.SpawnAddKind(b, kind)
	return e.server(wire.ServerBodySpawn, wire.SpawnEnd(b))
}

// Despawn returns the removal of an entity.
func (e *PlayerEncoder) Despawn(id uint32) []byte {
	b := e.b
	b.Reset()
	wire.DespawnStart(b)
	wire.DespawnAddId(b, id)
	return e.server(wire.ServerBodyDespawn, wire.DespawnEnd(b))
}

// Damage returns a damage event.
func (e *PlayerEncoder) Damage(source, target uint32, amount int32, school uint8, critical bool) []byte {
	b := e.b
	b.Reset()
	wire.DamageStart(b)
	wire.DamageAddSource(b, source)
	wire.DamageAddTarget(b, target)
	wire.DamageAddAmount(b, amount)
	wire.DamageAddSchool(b, school)
	wire.DamageAddCritical(b, critical)
	return e.server(wire.ServerBodyDamage, wire.DamageEnd(b))
}

// Loot returns a loot event.
func (e *PlayerEncoder) Loot(itemID uint64, template, count uint32) []byte {
	b := e.b
	b.Reset()
	wire.LootStart(b)
	wire.LootAddItemId(b, itemID)
	wire.LootAddTemplate(b, template)
	wire.LootAddCount(b, count)
	return e.server(wire.ServerBodyLoot, wire.LootEnd(b))
}

// SystemMessage returns a system message.
//
// seq is the zone's number of the message (0: a gateway's, not numbered).
func (e *PlayerEncoder) SystemMessage(code uint16, text string, seq uint64) []byte {
	b := e.b
	b.Reset()
	t := b.CreateString(text)
	wire.SystemMessageStart(b)
	wire.SystemMessageAddText(b, t)
	wire.SystemMessageAddCode(b, code)
	wire.SystemMessageAddSeq(b, seq)
	return e.server(wire.ServerBodySystemMessage, wire.SystemMessageEnd(b))
}

// Correction returns the authoritative position after a rejected move.
func (e *PlayerEncoder) Correction(x, y int32, inputSeq uint32) []byte {
	b := e.b
	b.Reset()
	wire.CorrectionStart(b)
	wire.CorrectionAddX(b, x)
	wire.CorrectionAddY(b, y)
	wire.CorrectionAddInputSeq(b, inputSeq)
	return e.server(wire.ServerBodyCorrection, wire.CorrectionEnd(b))
}

// Disconnect returns the last message before a connection is closed.
func (e *PlayerEncoder) Disconnect(reason wire.DisconnectReason, text string) []byte {
	b := e.b
	b.Reset()
	t := b.CreateString(text)
	wire.DisconnectStart(b)
	wire.DisconnectAddText(b, t)
	wire.DisconnectAddReason(b, reason)
	return e.server(wire.ServerBodyDisconnect, wire.DisconnectEnd(b))
}

// RealmInfo is one realm of a RealmList.
type RealmInfo struct {
	Name    string
	Players uint32
	State   wire.RealmState
}

// RealmList returns the realms a login node serves (at most MaxRealms).
func (e *PlayerEncoder) RealmList(realms []RealmInfo) []byte {
	b := e.b
	b.Reset()
	n := min(len(realms), MaxRealms)
	offs := make([]flatbuffers.UOffsetT, n)
	for i := 0; i < n; i++ {
		name := b.CreateString(clip(realms[i].Name, MaxName))
		wire.RealmInfoStart(b)
		wire.RealmInfoAddName(b, name)
		wire.RealmInfoAddPlayers(b, realms[i].Players)
		wire.RealmInfoAddState(b, realms[i].State)
		offs[i] = wire.RealmInfoEnd(b)
	}
	v := offsetVector(b, offs)
	wire.RealmListStart(b)
	wire.RealmListAddRealms(b, v)
	return e.server(wire.ServerBodyRealmList, wire.RealmListEnd(b))
}

// ReadRealmList copies a checked RealmList.
func ReadRealmList(w *wire.RealmList) []RealmInfo {
	out := make([]RealmInfo, 0, w.RealmsLength())
	var r wire.RealmInfo
	for i := 0; i < w.RealmsLength(); i++ {
		if w.Realms(&r, i) {
			out = append(out, RealmInfo{Name: string(r.Name()), Players: r.Players(), State: r.State()})
		}
	}
	return out
}
