package codec

import (
	"errors"
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// ZoneInput is one player's input forwarded by a gateway (wire.ZoneInput).
type ZoneInput struct {
	Character    uint64
	X, Y         int32 // 1/256 m
	Seq          uint32
	Actions      uint16
	MoveX, MoveY int8
	Heading      uint8
}

// PlayerEntered is the zone's answer to ZoneEnterPlayer.
type PlayerEntered struct {
	Character   uint64
	NetID       uint32
	X, Y        int32 // 1/256 m
	Epoch       uint64
	MapSeed     uint64
	MapWidth    float32
	MapHeight   float32
	CellSize    uint16
	PlayerSpeed float32
	TickHz      uint8
	// The map, for a gateway to regenerate it and check moves.
	MapObstacles float32
	MapTileSize  float32
	MapFile      bool // loaded from a file: cannot be regenerated
	// ViewRadius is how many cells around its own a player sees (1: 3 × 3).
	ViewRadius uint8
	// Refused, when set, says why the zone did not take the character;
	// MovedTo, with it, that a handoff moved the character to that zone
	// (at MovedToAddr).
	Refused, MovedTo, MovedToAddr string
	// MaxVisible is the most entities a player is shown, the nearest (0:
	// all within ViewRadius).
	MaxVisible uint16
	// ZoneName is what players are told the zone is called.
	ZoneName string
}

// ZoneEncoder encodes zone messages with a reused builder; one per
// goroutine.
type ZoneEncoder struct {
	b     *flatbuffers.Builder
	ident [4]byte
	offs  []flatbuffers.UOffsetT
}

// NewZoneEncoder returns a zone message encoder.
func NewZoneEncoder() *ZoneEncoder {
	return &ZoneEncoder{b: flatbuffers.NewBuilder(1 << 10), ident: ident(identZoneMessage)}
}

func (e *ZoneEncoder) finish(typ wire.ZoneBody, body flatbuffers.UOffsetT) []byte {
	b := e.b
	wire.ZoneMessageStart(b)
	wire.ZoneMessageAddBodyType(b, typ)
	wire.ZoneMessageAddBody(b, body)
	b.FinishWithFileIdentifier(wire.ZoneMessageEnd(b), e.ident[:])
	return b.FinishedBytes()
}

func (e *ZoneEncoder) uint32s(v []uint32) flatbuffers.UOffsetT {
	b := e.b
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUint32(v[i])
	}
	return b.EndVector(len(v))
}

// Subscribe returns a subscription to cells (index cy<<16 | cx).
func (e *ZoneEncoder) Subscribe(cells []uint32) []byte {
	e.b.Reset()
	v := e.uint32s(cells)
	wire.ZoneSubscribeStart(e.b)
	wire.ZoneSubscribeAddCells(e.b, v)
	return e.finish(wire.ZoneBodyZoneSubscribe, wire.ZoneSubscribeEnd(e.b))
}

// Unsubscribe returns the end of a subscription to cells.
func (e *ZoneEncoder) Unsubscribe(cells []uint32) []byte {
	e.b.Reset()
	v := e.uint32s(cells)
	wire.ZoneUnsubscribeStart(e.b)
	wire.ZoneUnsubscribeAddCells(e.b, v)
	return e.finish(wire.ZoneBodyZoneUnsubscribe, wire.ZoneUnsubscribeEnd(e.b))
}

// EnterPlayer asks the zone to bring a character in, moved by the inputs
// of gateway (empty: the sender); login says it is a login's (not a
// resume's): the character starts in no party.
func (e *ZoneEncoder) EnterPlayer(character uint64, gateway string, login bool) []byte {
	return e.enterPlayer(character, gateway, 0, 0, login)
}

// HandOffPlayer is EnterPlayer from a zone handing the character off (or a
// gateway entering it again): it says the character's party, its leader
// (0: none) and when the character joined it.
func (e *ZoneEncoder) HandOffPlayer(character uint64, gateway string, partyLeader, partyJoined uint64) []byte {
	return e.enterPlayer(character, gateway, partyLeader, partyJoined, false)
}

func (e *ZoneEncoder) enterPlayer(character uint64, gateway string, partyLeader, partyJoined uint64, login bool) []byte {
	e.b.Reset()
	g := e.b.CreateString(gateway)
	wire.ZoneEnterPlayerStart(e.b)
	wire.ZoneEnterPlayerAddCharacter(e.b, character)
	wire.ZoneEnterPlayerAddGateway(e.b, g)
	wire.ZoneEnterPlayerAddPartyLeader(e.b, partyLeader)
	wire.ZoneEnterPlayerAddPartyJoined(e.b, partyJoined)
	wire.ZoneEnterPlayerAddLogin(e.b, login)
	return e.finish(wire.ZoneBodyZoneEnterPlayer, wire.ZoneEnterPlayerEnd(e.b))
}

// ReplayEvents asks the zone for the chat lines and system messages a
// player missed: those numbered after since.
func (e *ZoneEncoder) ReplayEvents(character, since uint64) []byte {
	e.b.Reset()
	wire.ZoneReplayEventsStart(e.b)
	wire.ZoneReplayEventsAddCharacter(e.b, character)
	wire.ZoneReplayEventsAddSince(e.b, since)
	return e.finish(wire.ZoneBodyZoneReplayEvents, wire.ZoneReplayEventsEnd(e.b))
}

// PartiesChanged tells a zone that the parties of these leaders changed
// in another zone (at most MaxPartyCheck of them).
func (e *ZoneEncoder) PartiesChanged(leaders []uint64) []byte {
	e.b.Reset()
	v := ids(e.b, leaders[:min(len(leaders), MaxPartyCheck)])
	wire.ZonePartiesChangedStart(e.b)
	wire.ZonePartiesChangedAddLeaders(e.b, v)
	return e.finish(wire.ZoneBodyZonePartiesChanged, wire.ZonePartiesChangedEnd(e.b))
}

// ReadPartiesChanged copies a checked ZonePartiesChanged's leaders.
func ReadPartiesChanged(w *wire.ZonePartiesChanged) []uint64 {
	out := make([]uint64, w.LeadersLength())
	for i := range out {
		out[i] = w.Leaders(i)
	}
	return out
}

// LeavePlayer takes a character out of the zone.
func (e *ZoneEncoder) LeavePlayer(character uint64) []byte {
	e.b.Reset()
	wire.ZoneLeavePlayerStart(e.b)
	wire.ZoneLeavePlayerAddCharacter(e.b, character)
	return e.finish(wire.ZoneBodyZoneLeavePlayer, wire.ZoneLeavePlayerEnd(e.b))
}

// PlayerEntered answers EnterPlayer.
func (e *ZoneEncoder) PlayerEntered(p *PlayerEntered) []byte {
	e.b.Reset()
	return e.finish(wire.ZoneBodyZonePlayerEntered, packPlayerEntered(e.b, p))
}

// packPlayerEntered writes a ZonePlayerEntered table (also nested in a
// RealmConnected).
func packPlayerEntered(b *flatbuffers.Builder, p *PlayerEntered) flatbuffers.UOffsetT {
	var refused, moved, movedAddr, zoneName flatbuffers.UOffsetT
	if p.ZoneName != "" {
		zoneName = b.CreateString(clip(p.ZoneName, MaxName))
	}
	if p.Refused != "" {
		refused = b.CreateString(clip(p.Refused, MaxText))
	}
	if p.MovedTo != "" {
		moved = b.CreateString(clip(p.MovedTo, MaxName))
		movedAddr = b.CreateString(clip(p.MovedToAddr, MaxName))
	}
	wire.ZonePlayerEnteredStart(b)
	addOffset(b, wire.ZonePlayerEnteredAddZoneName, zoneName)
	if refused != 0 {
		wire.ZonePlayerEnteredAddRefused(b, refused)
	}
	if moved != 0 {
		wire.ZonePlayerEnteredAddMovedTo(b, moved)
		wire.ZonePlayerEnteredAddMovedToAddr(b, movedAddr)
	}
	wire.ZonePlayerEnteredAddViewRadius(b, p.ViewRadius)
	wire.ZonePlayerEnteredAddMaxVisible(b, p.MaxVisible)
	wire.ZonePlayerEnteredAddCharacter(b, p.Character)
	wire.ZonePlayerEnteredAddEpoch(b, p.Epoch)
	wire.ZonePlayerEnteredAddMapSeed(b, p.MapSeed)
	wire.ZonePlayerEnteredAddNetId(b, p.NetID)
	wire.ZonePlayerEnteredAddX(b, p.X)
	wire.ZonePlayerEnteredAddY(b, p.Y)
	wire.ZonePlayerEnteredAddMapWidth(b, p.MapWidth)
	wire.ZonePlayerEnteredAddMapHeight(b, p.MapHeight)
	wire.ZonePlayerEnteredAddPlayerSpeed(b, p.PlayerSpeed)
	wire.ZonePlayerEnteredAddCellSize(b, p.CellSize)
	wire.ZonePlayerEnteredAddTickHz(b, p.TickHz)
	wire.ZonePlayerEnteredAddMapObstacles(b, p.MapObstacles)
	wire.ZonePlayerEnteredAddMapTileSize(b, p.MapTileSize)
	wire.ZonePlayerEnteredAddMapFile(b, p.MapFile)
	return wire.ZonePlayerEnteredEnd(b)
}

// ReadPlayerEntered copies a checked ZonePlayerEntered.
func ReadPlayerEntered(w *wire.ZonePlayerEntered) PlayerEntered {
	return PlayerEntered{Character: w.Character(), NetID: w.NetId(), X: w.X(), Y: w.Y(), Epoch: w.Epoch(),
		MapSeed: w.MapSeed(), MapWidth: w.MapWidth(), MapHeight: w.MapHeight(), CellSize: w.CellSize(),
		PlayerSpeed: w.PlayerSpeed(), TickHz: w.TickHz(), MapObstacles: w.MapObstacles(), MapTileSize: w.MapTileSize(), MapFile: w.MapFile(),
		ViewRadius: w.ViewRadius(), Refused: string(w.Refused()), MovedTo: string(w.MovedTo()), MovedToAddr: string(w.MovedToAddr()),
		MaxVisible: w.MaxVisible(), ZoneName: string(w.ZoneName())}
}

// HandedOff tells a gateway its player's character moved to zone; entered
// is the target's answer, nil when the source did not hear it.
func (e *ZoneEncoder) HandedOff(character uint64, zone, zoneAddr string, entered *PlayerEntered) []byte {
	b := e.b
	b.Reset()
	var pe flatbuffers.UOffsetT
	if entered != nil {
		pe = packPlayerEntered(b, entered)
	}
	z, a := b.CreateString(clip(zone, MaxName)), b.CreateString(clip(zoneAddr, MaxName))
	wire.ZoneHandedOffStart(b)
	wire.ZoneHandedOffAddCharacter(b, character)
	wire.ZoneHandedOffAddZone(b, z)
	wire.ZoneHandedOffAddZoneAddr(b, a)
	if entered != nil {
		wire.ZoneHandedOffAddEntered(b, pe)
	}
	return e.finish(wire.ZoneBodyZoneHandedOff, wire.ZoneHandedOffEnd(b))
}

// HandedOff is a checked ZoneHandedOff.
type HandedOff struct {
	Character      uint64
	Zone, ZoneAddr string
	Entered        *PlayerEntered
}

// ReadHandedOff reads a checked ZoneHandedOff.
func ReadHandedOff(w *wire.ZoneHandedOff) HandedOff {
	h := HandedOff{Character: w.Character(), Zone: string(w.Zone()), ZoneAddr: string(w.ZoneAddr())}
	var pe wire.ZonePlayerEntered
	if w.Entered(&pe) != nil {
		p := ReadPlayerEntered(&pe)
		h.Entered = &p
	}
	return h
}

// Inputs returns a batch of forwarded inputs.
func (e *ZoneEncoder) Inputs(in []ZoneInput) []byte {
	b := e.b
	b.Reset()
	b.StartVector(sizeZoneInput, len(in), 8)
	for i := len(in) - 1; i >= 0; i-- {
		p := &in[i]
		wire.CreateZoneInput(b, p.Character, p.X, p.Y, p.Seq, p.Actions, p.MoveX, p.MoveY, p.Heading)
	}
	v := b.EndVector(len(in))
	wire.ZoneInputsStart(b)
	wire.ZoneInputsAddInputs(b, v)
	return e.finish(wire.ZoneBodyZoneInputs, wire.ZoneInputsEnd(b))
}

// ReadInputs appends a checked batch's inputs to dst.
func ReadInputs(w *wire.ZoneInputs, dst []ZoneInput) []ZoneInput {
	var in wire.ZoneInput
	for i := 0; i < w.InputsLength(); i++ {
		w.Inputs(&in, i)
		dst = append(dst, ZoneInput{Character: in.Character(), X: in.X(), Y: in.Y(), Seq: in.Seq(), Actions: in.Actions(),
			MoveX: in.MoveX(), MoveY: in.MoveY(), Heading: in.Heading()})
	}
	return dst
}

// PlayerAt is a gateway's player that changed cells, at (X, Y) (1/256 m).
type PlayerAt struct {
	NetID uint32
	X, Y  int32
}

// PlayerEvent is a reliable event for one player: an encoded
// ServerMessage.
type PlayerEvent struct {
	Character uint64
	Message   []byte
	// PartyLeader and PartyJoined are, on a Party event, the player's place
	// in its party (0, 0: none), for its gateway to keep.
	PartyLeader, PartyJoined uint64
}

// playerEvents writes a vector of events (ZonePlayerEvent tables) into
// the builder.
func (e *ZoneEncoder) playerEvents(events []PlayerEvent) flatbuffers.UOffsetT {
	b := e.b
	e.offs = e.offs[:0]
	for _, x := range events {
		m := b.CreateByteVector(x.Message)
		wire.ZonePlayerEventStart(b)
		wire.ZonePlayerEventAddCharacter(b, x.Character)
		wire.ZonePlayerEventAddMessage(b, m)
		wire.ZonePlayerEventAddPartyLeader(b, x.PartyLeader)
		wire.ZonePlayerEventAddPartyJoined(b, x.PartyJoined)
		e.offs = append(e.offs, wire.ZonePlayerEventEnd(b))
	}
	b.StartVector(4, len(e.offs), 4)
	for i := len(e.offs) - 1; i >= 0; i-- {
		b.PrependUOffsetT(e.offs[i])
	}
	return b.EndVector(len(e.offs))
}

// EventsReplayed returns the answer to a ReplayEvents asked: the events a
// player missed, oldest first.
func (e *ZoneEncoder) EventsReplayed(events []PlayerEvent) []byte {
	e.b.Reset()
	v := e.playerEvents(events)
	wire.ZoneEventsReplayedStart(e.b)
	wire.ZoneEventsReplayedAddEvents(e.b, v)
	return e.finish(wire.ZoneBodyZoneEventsReplayed, wire.ZoneEventsReplayedEnd(e.b))
}

// Chat returns a player's chat line for the zone to route.
func (e *ZoneEncoder) Chat(character uint64, channel uint8, to, text string) []byte {
	b := e.b
	b.Reset()
	t, x := b.CreateString(to), b.CreateString(text)
	wire.ZoneChatStart(b)
	wire.ZoneChatAddCharacter(b, character)
	wire.ZoneChatAddTo(b, t)
	wire.ZoneChatAddText(b, x)
	wire.ZoneChatAddChannel(b, channel)
	return e.finish(wire.ZoneBodyZoneChat, wire.ZoneChatEnd(b))
}

// Tick returns one tick's cells for one gateway (each an encoded
// CellDelta, copied as is), its players that changed cells, and its
// players' events.
func (e *ZoneEncoder) Tick(tick uint32, tickUnixMs int64, cells [][]byte, players []PlayerAt, events []PlayerEvent) []byte {
	b := e.b
	b.Reset()
	var ev flatbuffers.UOffsetT
	if len(events) > 0 {
		ev = e.playerEvents(events)
	}
	var pv flatbuffers.UOffsetT
	if len(players) > 0 {
		wire.ZoneTickStartPlayersVector(b, len(players))
		for i := len(players) - 1; i >= 0; i-- {
			wire.CreateZonePlayerAt(b, players[i].NetID, players[i].X, players[i].Y)
		}
		pv = b.EndVector(len(players))
	}
	e.offs = e.offs[:0]
	for _, c := range cells {
		d := b.CreateByteVector(c)
		wire.ZoneCellStart(b)
		wire.ZoneCellAddDelta(b, d)
		e.offs = append(e.offs, wire.ZoneCellEnd(b))
	}
	b.StartVector(4, len(e.offs), 4)
	for i := len(e.offs) - 1; i >= 0; i-- {
		b.PrependUOffsetT(e.offs[i])
	}
	v := b.EndVector(len(e.offs))
	wire.ZoneTickStart(b)
	wire.ZoneTickAddTickUnixMs(b, tickUnixMs)
	wire.ZoneTickAddTick(b, tick)
	wire.ZoneTickAddCells(b, v)
	if pv != 0 {
		wire.ZoneTickAddPlayers(b, pv)
	}
	if ev != 0 {
		wire.ZoneTickAddEvents(b, ev)
	}
	return e.finish(wire.ZoneBodyZoneTick, wire.ZoneTickEnd(b))
}

// DecodeZoneMessage checks buf and points m at it.
func DecodeZoneMessage(buf []byte, max int, m *wire.ZoneMessage) error {
	pos, err := verify(buf, max, identZoneMessage, schema.zoneMessage)
	if err != nil {
		return err
	}
	m.Init(buf, pos)
	if m.BodyType() == wire.ZoneBodyNONE {
		return fmt.Errorf("decode ZoneMessage: %w: empty body", ErrMalformed)
	}
	return nil
}

// clip cuts s to at most n bytes, so that an encoded message always
// passes the decoder's bounds.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// LoadInstance is a realm's request that an instance node load a fresh
// copy of a template for it (wire.ZoneLoadInstance).
type LoadInstance struct {
	Template           string
	Seed               uint64
	DB, DBAddr         string
	ExitZone, ExitAddr string
	ExitX, ExitY       float32
}

// LoadInstance asks an instance node to load a fresh copy of a template.
func (e *ZoneEncoder) LoadInstance(l *LoadInstance) []byte {
	b := e.b
	b.Reset()
	t := b.CreateString(clip(l.Template, MaxName))
	db, dba := b.CreateString(clip(l.DB, MaxName)), b.CreateString(clip(l.DBAddr, MaxName))
	ez, ea := b.CreateString(clip(l.ExitZone, MaxName)), b.CreateString(clip(l.ExitAddr, MaxName))
	wire.ZoneLoadInstanceStart(b)
	wire.ZoneLoadInstanceAddTemplate(b, t)
	wire.ZoneLoadInstanceAddSeed(b, l.Seed)
	wire.ZoneLoadInstanceAddDb(b, db)
	wire.ZoneLoadInstanceAddDbAddr(b, dba)
	wire.ZoneLoadInstanceAddExitZone(b, ez)
	wire.ZoneLoadInstanceAddExitAddr(b, ea)
	wire.ZoneLoadInstanceAddExitX(b, l.ExitX)
	wire.ZoneLoadInstanceAddExitY(b, l.ExitY)
	return e.finish(wire.ZoneBodyZoneLoadInstance, wire.ZoneLoadInstanceEnd(b))
}

// ReadLoadInstance copies a checked ZoneLoadInstance.
func ReadLoadInstance(w *wire.ZoneLoadInstance) LoadInstance {
	return LoadInstance{Template: string(w.Template()), Seed: w.Seed(), DB: string(w.Db()), DBAddr: string(w.DbAddr()),
		ExitZone: string(w.ExitZone()), ExitAddr: string(w.ExitAddr()), ExitX: w.ExitX(), ExitY: w.ExitY()}
}

// InstanceLoaded answers LoadInstance: where players arrive, or why not.
func (e *ZoneEncoder) InstanceLoaded(entryX, entryY float32, refused string) []byte {
	b := e.b
	b.Reset()
	var r flatbuffers.UOffsetT
	if refused != "" {
		r = b.CreateString(clip(refused, MaxText))
	}
	wire.ZoneInstanceLoadedStart(b)
	wire.ZoneInstanceLoadedAddEntryX(b, entryX)
	wire.ZoneInstanceLoadedAddEntryY(b, entryY)
	if r != 0 {
		wire.ZoneInstanceLoadedAddRefused(b, r)
	}
	return e.finish(wire.ZoneBodyZoneInstanceLoaded, wire.ZoneInstanceLoadedEnd(b))
}

// ErrRefused is wrapped by DecodePlayerEntered's error for a zone that did
// not take the character.
var ErrRefused = errors.New("zone refused")

// DecodePlayerEntered decodes a zone's answer to ZoneEnterPlayer. A refusal
// is an error wrapping ErrRefused, and the PlayerEntered still says why
// (and, with MovedTo, where the character went).
func DecodePlayerEntered(payload []byte) (PlayerEntered, error) {
	var msg wire.ZoneMessage
	if err := DecodeZoneMessage(payload, len(payload)+1, &msg); err != nil {
		return PlayerEntered{}, err
	}
	if msg.BodyType() != wire.ZoneBodyZonePlayerEntered {
		return PlayerEntered{}, fmt.Errorf("zone answered %s", msg.BodyType())
	}
	var w wire.ZonePlayerEntered
	Member(msg.Body, &w)
	pe := ReadPlayerEntered(&w)
	if pe.Refused != "" {
		return pe, fmt.Errorf("%w: %s", ErrRefused, pe.Refused)
	}
	return pe, nil
}
