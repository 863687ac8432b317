package codec

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// DbRequest is one db operation. Op says which; each op reads the fields
// its wire table has (see net/schema/db.fbs).
type DbRequest struct {
	Op            wire.DbOp
	ExpiresUnixMs int64

	ID, Owner, Item, From, To, Epoch, Since uint64
	Account, Name, Zone, Hash               string
	X, Y                                    float32
	Level                                   uint16
	Health                                  int32
	Template, Count                         uint32
	// A trade (DbTradeItems): From gives FromItems with Epoch, To gives
	// ToItems with ToEpoch.
	ToEpoch            uint64
	FromItems, ToItems []uint64
	// A checkpoint's party place (DbSaveCheckpoint): its leader and when
	// the character joined (0, 0: in none).
	PartyLeader, PartyJoined uint64
}

// DbCharacter is a character record (wire.DbCharacter).
type DbCharacter struct {
	ID                  uint64
	Account, Name, Zone string
	X, Y                float32
	Level               uint16
	Health              int32
	Epoch               uint64
	// PartyLeader and PartyJoined are its party place as last saved.
	PartyLeader, PartyJoined uint64
}

// DbAccount is a login account (wire.DbAccount).
type DbAccount struct {
	Name, Hash    string
	CreatedUnixMs int64
}

// DbItem is an item record (wire.DbItem).
type DbItem struct {
	ID, Owner       uint64
	Template, Count uint32
}

// DbReply answers a DbRequest.
type DbReply struct {
	Status    wire.DbStatus
	Message   string
	Character *DbCharacter
	Items     []DbItem
	Epoch     uint64
	Account   *DbAccount
}

// DbBackupDone closes a backup stream.
type DbBackupDone struct {
	Status         wire.DbStatus
	Message        string
	Version, Since uint64
	SHA256, Digest []byte
	Bytes          uint64
}

// DbEncoder encodes db messages with a reused builder; one per goroutine.
type DbEncoder struct {
	b     *flatbuffers.Builder
	ident [4]byte
}

// NewDbEncoder returns a db message encoder.
func NewDbEncoder() *DbEncoder {
	return &DbEncoder{b: flatbuffers.NewBuilder(256), ident: ident(identDbMessage)}
}

func (e *DbEncoder) finish(typ wire.DbBody, body flatbuffers.UOffsetT) []byte {
	b := e.b
	wire.DbMessageStart(b)
	wire.DbMessageAddBodyType(b, typ)
	wire.DbMessageAddBody(b, body)
	b.FinishWithFileIdentifier(wire.DbMessageEnd(b), e.ident[:])
	return b.FinishedBytes()
}

// Request returns a request, valid until the next call.
func (e *DbEncoder) Request(r *DbRequest) []byte {
	b := e.b
	b.Reset()
	op := packDbOp(b, r)
	wire.DbRequestStart(b)
	wire.DbRequestAddOpType(b, r.Op)
	wire.DbRequestAddOp(b, op)
	wire.DbRequestAddExpiresUnixMs(b, r.ExpiresUnixMs)
	return e.finish(wire.DbBodyDbRequest, wire.DbRequestEnd(b))
}

// packDbOp writes the request's operation table: one case per op, each
// the fields of its table.
func packDbOp(b *flatbuffers.Builder, r *DbRequest) (op flatbuffers.UOffsetT) {
	switch r.Op {
	case wire.DbOpDbCreateCharacter:
		a, n, z := b.CreateString(r.Account), b.CreateString(r.Name), b.CreateString(r.Zone)
		wire.DbCreateCharacterStart(b)
		wire.DbCreateCharacterAddAccount(b, a)
		wire.DbCreateCharacterAddName(b, n)
		wire.DbCreateCharacterAddZone(b, z)
		wire.DbCreateCharacterAddX(b, r.X)
		wire.DbCreateCharacterAddY(b, r.Y)
		op = wire.DbCreateCharacterEnd(b)
	case wire.DbOpDbLoadCharacter:
		wire.DbLoadCharacterStart(b)
		wire.DbLoadCharacterAddId(b, r.ID)
		op = wire.DbLoadCharacterEnd(b)
	case wire.DbOpDbClaimCharacter:
		z := b.CreateString(r.Zone)
		wire.DbClaimCharacterStart(b)
		wire.DbClaimCharacterAddId(b, r.ID)
		wire.DbClaimCharacterAddZone(b, z)
		op = wire.DbClaimCharacterEnd(b)
	case wire.DbOpDbSaveCheckpoint:
		z := b.CreateString(r.Zone)
		wire.DbSaveCheckpointStart(b)
		wire.DbSaveCheckpointAddId(b, r.ID)
		wire.DbSaveCheckpointAddEpoch(b, r.Epoch)
		wire.DbSaveCheckpointAddZone(b, z)
		wire.DbSaveCheckpointAddX(b, r.X)
		wire.DbSaveCheckpointAddY(b, r.Y)
		wire.DbSaveCheckpointAddHealth(b, r.Health)
		wire.DbSaveCheckpointAddLevel(b, r.Level)
		wire.DbSaveCheckpointAddPartyLeader(b, r.PartyLeader)
		wire.DbSaveCheckpointAddPartyJoined(b, r.PartyJoined)
		op = wire.DbSaveCheckpointEnd(b)
	case wire.DbOpDbGrantItem, wire.DbOpDbTransferItem, wire.DbOpDbDestroyItem, wire.DbOpDbGetItem, wire.DbOpDbListItems, wire.DbOpDbTradeItems:
		op = packDbItemOp(b, r)
	case wire.DbOpDbBackup:
		wire.DbBackupStart(b)
		wire.DbBackupAddSince(b, r.Since)
		op = wire.DbBackupEnd(b)
	case wire.DbOpDbFindCharacter:
		n := b.CreateString(r.Name)
		wire.DbFindCharacterStart(b)
		wire.DbFindCharacterAddName(b, n)
		op = wire.DbFindCharacterEnd(b)
	case wire.DbOpDbCreateAccount, wire.DbOpDbGetAccount:
		op = packDbAccountOp(b, r)
	default:
		panic("codec: DbRequest with unknown op " + r.Op.String()) // programmer misuse
	}
	return op
}

// packDbItemOp writes an item operation's table.
func packDbItemOp(b *flatbuffers.Builder, r *DbRequest) (op flatbuffers.UOffsetT) {
	switch r.Op {
	case wire.DbOpDbGrantItem:
		wire.DbGrantItemStart(b)
		wire.DbGrantItemAddOwner(b, r.Owner)
		wire.DbGrantItemAddEpoch(b, r.Epoch)
		wire.DbGrantItemAddTemplate(b, r.Template)
		wire.DbGrantItemAddCount(b, r.Count)
		op = wire.DbGrantItemEnd(b)
	case wire.DbOpDbTransferItem:
		wire.DbTransferItemStart(b)
		wire.DbTransferItemAddItem(b, r.Item)
		wire.DbTransferItemAddFrom(b, r.From)
		wire.DbTransferItemAddTo(b, r.To)
		wire.DbTransferItemAddFromEpoch(b, r.Epoch)
		op = wire.DbTransferItemEnd(b)
	case wire.DbOpDbDestroyItem:
		wire.DbDestroyItemStart(b)
		wire.DbDestroyItemAddItem(b, r.Item)
		wire.DbDestroyItemAddOwner(b, r.Owner)
		wire.DbDestroyItemAddEpoch(b, r.Epoch)
		op = wire.DbDestroyItemEnd(b)
	case wire.DbOpDbGetItem:
		wire.DbGetItemStart(b)
		wire.DbGetItemAddId(b, r.ID)
		op = wire.DbGetItemEnd(b)
	case wire.DbOpDbListItems:
		wire.DbListItemsStart(b)
		wire.DbListItemsAddOwner(b, r.Owner)
		op = wire.DbListItemsEnd(b)
	case wire.DbOpDbTradeItems:
		ai, bi := ids(b, r.FromItems), ids(b, r.ToItems)
		wire.DbTradeItemsStart(b)
		wire.DbTradeItemsAddA(b, r.From)
		wire.DbTradeItemsAddAEpoch(b, r.Epoch)
		wire.DbTradeItemsAddAItems(b, ai)
		wire.DbTradeItemsAddB(b, r.To)
		wire.DbTradeItemsAddBEpoch(b, r.ToEpoch)
		wire.DbTradeItemsAddBItems(b, bi)
		op = wire.DbTradeItemsEnd(b)
	}
	return op
}

// packDbAccountOp writes a login db's operation table.
func packDbAccountOp(b *flatbuffers.Builder, r *DbRequest) flatbuffers.UOffsetT {
	n := b.CreateString(r.Name)
	if r.Op == wire.DbOpDbGetAccount {
		wire.DbGetAccountStart(b)
		wire.DbGetAccountAddName(b, n)
		return wire.DbGetAccountEnd(b)
	}
	h := b.CreateString(r.Hash)
	wire.DbCreateAccountStart(b)
	wire.DbCreateAccountAddName(b, n)
	wire.DbCreateAccountAddHash(b, h)
	return wire.DbCreateAccountEnd(b)
}

// ReadDbRequest copies a checked request's fields into r.
func ReadDbRequest(w *wire.DbRequest, r *DbRequest) {
	*r = DbRequest{Op: w.OpType(), ExpiresUnixMs: w.ExpiresUnixMs()}
	switch r.Op {
	case wire.DbOpDbCreateCharacter:
		var t wire.DbCreateCharacter
		Member(w.Op, &t)
		r.Account, r.Name, r.Zone, r.X, r.Y = string(t.Account()), string(t.Name()), string(t.Zone()), t.X(), t.Y()
	case wire.DbOpDbLoadCharacter:
		var t wire.DbLoadCharacter
		Member(w.Op, &t)
		r.ID = t.Id()
	case wire.DbOpDbClaimCharacter:
		var t wire.DbClaimCharacter
		Member(w.Op, &t)
		r.ID, r.Zone = t.Id(), string(t.Zone())
	case wire.DbOpDbSaveCheckpoint:
		var t wire.DbSaveCheckpoint
		Member(w.Op, &t)
		r.ID, r.Epoch, r.Zone, r.X, r.Y, r.Level, r.Health = t.Id(), t.Epoch(), string(t.Zone()), t.X(), t.Y(), t.Level(), t.Health()
		r.PartyLeader, r.PartyJoined = t.PartyLeader(), t.PartyJoined()
	case wire.DbOpDbGrantItem:
		var t wire.DbGrantItem
		Member(w.Op, &t)
		r.Owner, r.Epoch, r.Template, r.Count = t.Owner(), t.Epoch(), t.Template(), t.Count()
	case wire.DbOpDbTransferItem:
		var t wire.DbTransferItem
		Member(w.Op, &t)
		r.Item, r.From, r.To, r.Epoch = t.Item(), t.From(), t.To(), t.FromEpoch()
	case wire.DbOpDbDestroyItem:
		var t wire.DbDestroyItem
		Member(w.Op, &t)
		r.Item, r.Owner, r.Epoch = t.Item(), t.Owner(), t.Epoch()
	case wire.DbOpDbGetItem:
		var t wire.DbGetItem
		Member(w.Op, &t)
		r.ID = t.Id()
	case wire.DbOpDbListItems:
		var t wire.DbListItems
		Member(w.Op, &t)
		r.Owner = t.Owner()
	case wire.DbOpDbBackup:
		var t wire.DbBackup
		Member(w.Op, &t)
		r.Since = t.Since()
	case wire.DbOpDbFindCharacter:
		var t wire.DbFindCharacter
		Member(w.Op, &t)
		r.Name = string(t.Name())
	case wire.DbOpDbCreateAccount:
		var t wire.DbCreateAccount
		Member(w.Op, &t)
		r.Name, r.Hash = string(t.Name()), string(t.Hash())
	case wire.DbOpDbGetAccount:
		var t wire.DbGetAccount
		Member(w.Op, &t)
		r.Name = string(t.Name())
	case wire.DbOpDbTradeItems:
		var t wire.DbTradeItems
		Member(w.Op, &t)
		r.From, r.Epoch, r.To, r.ToEpoch = t.A(), t.AEpoch(), t.B(), t.BEpoch()
		r.FromItems, r.ToItems = make([]uint64, t.AItemsLength()), make([]uint64, t.BItemsLength())
		for i := range r.FromItems {
			r.FromItems[i] = t.AItems(i)
		}
		for i := range r.ToItems {
			r.ToItems[i] = t.BItems(i)
		}
	}
}

// Reply returns a reply, valid until the next call.
func (e *DbEncoder) Reply(r *DbReply) []byte {
	b := e.b
	b.Reset()
	var ch, items, acc flatbuffers.UOffsetT
	if a := r.Account; a != nil {
		n, h := b.CreateString(a.Name), b.CreateString(a.Hash)
		wire.DbAccountStart(b)
		wire.DbAccountAddCreatedUnixMs(b, a.CreatedUnixMs)
		wire.DbAccountAddName(b, n)
		wire.DbAccountAddHash(b, h)
		acc = wire.DbAccountEnd(b)
	}
	if c := r.Character; c != nil {
		a, n, z := b.CreateString(c.Account), b.CreateString(c.Name), b.CreateString(c.Zone)
		wire.DbCharacterStart(b)
		wire.DbCharacterAddId(b, c.ID)
		wire.DbCharacterAddEpoch(b, c.Epoch)
		wire.DbCharacterAddAccount(b, a)
		wire.DbCharacterAddName(b, n)
		wire.DbCharacterAddZone(b, z)
		wire.DbCharacterAddX(b, c.X)
		wire.DbCharacterAddY(b, c.Y)
		wire.DbCharacterAddHealth(b, c.Health)
		wire.DbCharacterAddLevel(b, c.Level)
		wire.DbCharacterAddPartyLeader(b, c.PartyLeader)
		wire.DbCharacterAddPartyJoined(b, c.PartyJoined)
		ch = wire.DbCharacterEnd(b)
	}
	if n := len(r.Items); n > 0 {
		b.StartVector(sizeDbItem, n, 8)
		for i := n - 1; i >= 0; i-- {
			it := &r.Items[i]
			wire.CreateDbItem(b, it.ID, it.Owner, it.Template, it.Count)
		}
		items = b.EndVector(n)
	}
	var msg flatbuffers.UOffsetT
	if r.Message != "" {
		msg = b.CreateString(r.Message)
	}
	wire.DbReplyStart(b)
	wire.DbReplyAddEpoch(b, r.Epoch)
	addOffset(b, wire.DbReplyAddMessage, msg)
	addOffset(b, wire.DbReplyAddCharacter, ch)
	addOffset(b, wire.DbReplyAddItems, items)
	addOffset(b, wire.DbReplyAddAccount, acc)
	wire.DbReplyAddStatus(b, r.Status)
	return e.finish(wire.DbBodyDbReply, wire.DbReplyEnd(b))
}

// ReadDbReply copies a checked reply into r, reusing r.Items.
func ReadDbReply(w *wire.DbReply, r *DbReply) {
	items := r.Items[:0]
	*r = DbReply{Status: w.Status(), Message: string(w.Message()), Epoch: w.Epoch()}
	var c wire.DbCharacter
	if w.Character(&c) != nil {
		r.Character = &DbCharacter{ID: c.Id(), Account: string(c.Account()), Name: string(c.Name()), Zone: string(c.Zone()),
			X: c.X(), Y: c.Y(), Level: c.Level(), Health: c.Health(), Epoch: c.Epoch(), PartyLeader: c.PartyLeader(), PartyJoined: c.PartyJoined()}
	}
	var a wire.DbAccount
	if w.Account(&a) != nil {
		r.Account = &DbAccount{Name: string(a.Name()), Hash: string(a.Hash()), CreatedUnixMs: a.CreatedUnixMs()}
	}
	var it wire.DbItem
	for i := 0; i < w.ItemsLength(); i++ {
		w.Items(&it, i)
		items = append(items, DbItem{ID: it.Id(), Owner: it.Owner(), Template: it.Template(), Count: it.Count()})
	}
	r.Items = items
}

// BackupChunk returns one piece of a backup stream.
func (e *DbEncoder) BackupChunk(data []byte) []byte {
	b := e.b
	b.Reset()
	d := b.CreateByteVector(data)
	wire.DbBackupChunkStart(b)
	wire.DbBackupChunkAddData(b, d)
	return e.finish(wire.DbBodyDbBackupChunk, wire.DbBackupChunkEnd(b))
}

// BackupDone returns the end of a backup stream.
func (e *DbEncoder) BackupDone(d *DbBackupDone) []byte {
	b := e.b
	b.Reset()
	sha, dig, msg := b.CreateByteVector(d.SHA256), b.CreateByteVector(d.Digest), b.CreateString(d.Message)
	wire.DbBackupDoneStart(b)
	wire.DbBackupDoneAddVersion(b, d.Version)
	wire.DbBackupDoneAddSince(b, d.Since)
	wire.DbBackupDoneAddBytes(b, d.Bytes)
	wire.DbBackupDoneAddSha256(b, sha)
	wire.DbBackupDoneAddDigest(b, dig)
	wire.DbBackupDoneAddMessage(b, msg)
	wire.DbBackupDoneAddStatus(b, d.Status)
	return e.finish(wire.DbBodyDbBackupDone, wire.DbBackupDoneEnd(b))
}

// ReadDbBackupDone copies a checked DbBackupDone.
func ReadDbBackupDone(w *wire.DbBackupDone) DbBackupDone {
	return DbBackupDone{Status: w.Status(), Message: string(w.Message()), Version: w.Version(), Since: w.Since(),
		SHA256: append([]byte(nil), w.Sha256Bytes()...), Digest: append([]byte(nil), w.DigestBytes()...), Bytes: w.Bytes()}
}
