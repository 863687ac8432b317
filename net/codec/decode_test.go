package codec

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/wire"
)

// decodeAndTouch decodes b as kind and, when that succeeds, reads every
// field. It fails the test on a panic anywhere.
func decodeAndTouch(t *testing.T, kind string, b []byte) error {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic on %d bytes %x: %v", kind, len(b), b, r)
		}
	}()
	m, err := decoders[kind](b)
	if err == nil {
		touch(m)
	} else if !errors.Is(err, ErrMalformed) {
		t.Fatalf("%s: error %v does not wrap ErrMalformed", kind, err)
	}
	return err
}

func TestSamplesDecode(t *testing.T) {
	for kind, bufs := range samples() {
		for i, b := range bufs {
			if err := decodeAndTouch(t, kind, b); err != nil {
				t.Errorf("%s sample %d: %v", kind, i, err)
			}
		}
	}
}

func TestEveryTruncationIsRejected(t *testing.T) {
	for kind, bufs := range samples() {
		for _, b := range bufs {
			for n := 0; n < len(b); n++ {
				// A prefix may still decode when the cut removed only padding
				// past the last field; it must then be safe to read.
				_ = decodeAndTouch(t, kind, b[:n])
			}
		}
	}
	var f wire.NodeFrame
	if err := DecodeNodeFrame(nil, 1<<20, &f); err == nil {
		t.Fatal("empty frame decoded")
	}
}

func TestBitFlipsNeverPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for kind, bufs := range samples() {
		for _, b := range bufs {
			for i := 0; i < 2000; i++ {
				c := append([]byte(nil), b...)
				for k := 0; k < 1+rng.IntN(3); k++ {
					c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
				}
				_ = decodeAndTouch(t, kind, c)
			}
		}
	}
}

func TestWrongIdentifierIsRejected(t *testing.T) {
	s := samples()
	var snap wire.Snapshot
	err := DecodeSnapshot(s["CellDelta"][0], &snap)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("cell delta decoded as snapshot: %v", err)
	}
}

func TestSizeCapBeforeReading(t *testing.T) {
	var in wire.Input
	err := DecodeInput(make([]byte, MaxInput+1), &in)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized input: %v", err)
	}
}

func TestHostileVectorLengthIsRejected(t *testing.T) {
	// A snapshot whose moves vector claims 2^31 elements.
	u := Updates{Moves: []Move{{ID: 1}}}
	b := append([]byte(nil), NewSnapshotEncoder().Encode(&Snapshot{Seq: 1, Updates: u})...)
	var w wire.Snapshot
	if err := DecodeSnapshot(b, &w); err != nil {
		t.Fatal(err)
	}
	tab := w.Table()
	lenPos := tab.Vector(flatbuffers.UOffsetT(tab.Offset(16))) - 4 // the moves vector's length
	if b[lenPos] != 1 {
		t.Fatalf("moves length at %d is %d", lenPos, b[lenPos])
	}
	b[lenPos+3] = 0x80 // 1 -> 0x80000001 elements
	if err := DecodeSnapshot(b, &w); !errors.Is(err, ErrMalformed) {
		t.Fatalf("hostile vector length: %v", err)
	}
}

func TestCellDeltaRoundTrip(t *testing.T) {
	in := sampleCell(5)
	var out spatial.CellChanges
	if err := ReadCellDelta(NewCellDeltaEncoder().Encode(&in), 1<<20, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
	// The default cell size costs nothing and reads back as 32.
	in.CellSize = 0
	if err := ReadCellDelta(NewCellDeltaEncoder().Encode(&in), 1<<20, &out); err != nil || out.CellSize != 32 {
		t.Fatalf("default cell size: %d, %v", out.CellSize, err)
	}
	if err := checkKinds(); err != nil {
		t.Fatal(err)
	}
}

// TestCellDeltaSize pins the bandwidth of the most common delta: a cell
// where a few entities took small steps.
func TestCellDeltaSize(t *testing.T) {
	c := spatial.CellChanges{CX: 70, CY: 70, Tick: 123456}
	for i := 0; i < 8; i++ {
		c.Steps = append(c.Steps, spatial.Step{Slot: uint16(i), DX: 20, DY: -20})
	}
	n := len(NewCellDeltaEncoder().Encode(&c))
	if n > 8*4+44 { // 44 bytes of root, identifier, vtable, table and vector length
		t.Fatalf("8 steps take %d bytes", n)
	}
	t.Logf("8 steps: %d bytes (%.1f per moved entity)", n, float64(n)/8)
}

func TestSnapshotRoundTrip(t *testing.T) {
	in := Snapshot{Seq: 5, Baseline: 3, Tick: 77, OriginX: -5, OriginY: 6, TickUnixMs: 1 << 40, Self: 70001, Updates: sampleUpdates(4)}
	var out Snapshot
	if err := ReadSnapshot(NewSnapshotEncoder().Encode(&in), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
}

func TestEmptySnapshotFitsOverhead(t *testing.T) {
	b := NewSnapshotEncoder().Encode(&Snapshot{Seq: 1 << 30, Baseline: 1 << 30, Tick: 1 << 30, OriginX: -1 << 30, OriginY: 1 << 30, TickUnixMs: 1 << 60, Self: 1 << 30})
	if len(b) > SnapshotOverhead {
		t.Fatalf("empty snapshot is %d bytes, SnapshotOverhead says %d", len(b), SnapshotOverhead)
	}
}

func TestInputRoundTrip(t *testing.T) {
	in := Input{Seq: 1, Ack: 2, ClientTimeMs: 3, X: -4, Y: 5, Heading: 6, MoveX: -7, MoveY: 8, Actions: 9}
	var out Input
	if err := ReadInput(NewPlayerEncoder().Input(&in), &out); err != nil || out != in {
		t.Fatalf("round trip: %+v %v", out, err)
	}
}

func TestNodeFrameRoundTrip(t *testing.T) {
	e := NewNodeEncoder()
	env := Envelope{Kind: 3, Correlation: 4, Priority: wire.PriorityGameplay, History: true, Seq: 99, SentUnixMs: 7, Payload: []byte{1, 2, 3}}
	var f wire.NodeFrame
	if err := DecodeNodeFrame(e.Envelope(&env), 1<<20, &f); err != nil {
		t.Fatal(err)
	}
	var w wire.Envelope
	if f.BodyType() != wire.NodeBodyEnvelope || !Member(f.Body, &w) {
		t.Fatalf("body %v", f.BodyType())
	}
	if got := ReadEnvelope(&w); !reflect.DeepEqual(got, env) {
		t.Fatalf("round trip: %+v", got)
	}
}

func TestDbRoundTrip(t *testing.T) {
	e := NewDbEncoder()
	reqs := []DbRequest{
		{Op: wire.DbOpDbCreateCharacter, Account: "alice", Name: "Alia", Zone: "Z1", X: 1.5, Y: -2, ExpiresUnixMs: 5},
		{Op: wire.DbOpDbClaimCharacter, ID: 7, Zone: "Z2", ExpiresUnixMs: 6},
		{Op: wire.DbOpDbSaveCheckpoint, ID: 1, Epoch: 2, Zone: "Z1", X: 3, Y: 4, Level: 5, Health: 6, PartyLeader: 7, PartyJoined: 8},
		{Op: wire.DbOpDbGrantItem, Owner: 1, Epoch: 2, Template: 3, Count: 4},
		{Op: wire.DbOpDbTransferItem, Item: 9, From: 1, To: 2, Epoch: 3},
		{Op: wire.DbOpDbDestroyItem, Item: 9, Owner: 1, Epoch: 2},
		{Op: wire.DbOpDbBackup, Since: 77},
	}
	for _, in := range reqs {
		var m wire.DbMessage
		if err := DecodeDbMessage(e.Request(&in), 1<<20, &m); err != nil {
			t.Fatal(err)
		}
		var w wire.DbRequest
		Member(m.Body, &w)
		var out DbRequest
		ReadDbRequest(&w, &out)
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
		}
	}
	in := DbReply{Status: wire.DbStatusStaleEpoch, Message: "claimed by Z2", Epoch: 4,
		Character: &DbCharacter{ID: 1, Account: "a", Name: "n", Zone: "z", X: 1, Y: 2, Level: 3, Health: 4, Epoch: 5, PartyLeader: 6, PartyJoined: 7},
		Items:     []DbItem{{ID: 1, Owner: 2, Template: 3, Count: 4}, {ID: 5, Owner: 2, Template: 6, Count: 1}}}
	var m wire.DbMessage
	if err := DecodeDbMessage(e.Reply(&in), 1<<20, &m); err != nil {
		t.Fatal(err)
	}
	var w wire.DbReply
	Member(m.Body, &w)
	var out DbReply
	ReadDbReply(&w, &out)
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("reply round trip:\n in %+v\nout %+v", in, out)
	}
}

func TestRealmConnectedRoundTrip(t *testing.T) {
	in := RealmConnected{Status: wire.RealmStatusOk, Message: "welcome", Account: "bob", Zone: "Z1", ZoneAddr: "127.0.0.1:7103",
		Entered: PlayerEntered{Character: 7, NetID: 9, X: -256, Y: 512, Epoch: 3, MapSeed: 11, MapWidth: 1024, MapHeight: 512, CellSize: 32, PlayerSpeed: 6, TickHz: 20,
			ViewRadius: 2, MaxVisible: 120, ZoneName: "Westfall Hills"}, ResumeToken: bytes.Repeat([]byte{7}, SessionHandleSize)}
	var m wire.RealmMessage
	if err := DecodeRealmMessage(NewRealmEncoder().Connected(&in), 1<<20, &m); err != nil {
		t.Fatal(err)
	}
	var w wire.RealmConnected
	Member(m.Body, &w)
	if out := ReadRealmConnected(&w); !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
}

func TestGatewayPlayersRoundTrip(t *testing.T) {
	in := []PlayerAtGateway{{Character: 7, Account: "ann", Zone: "Z1", ResumeToken: bytes.Repeat([]byte{1}, SessionHandleSize)},
		{Character: 9, Account: "ben", Zone: "Z2", ResumeToken: bytes.Repeat([]byte{2}, SessionHandleSize)}}
	var m wire.RealmMessage
	if err := DecodeRealmMessage(NewRealmEncoder().GatewayPlayers(in), 1<<20, &m); err != nil || m.BodyType() != wire.RealmBodyRealmGatewayPlayers {
		t.Fatal(err)
	}
	var w wire.RealmGatewayPlayers
	Member(m.Body, &w)
	if out := ReadGatewayPlayers(&w); !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
}

func TestPartyCheckRoundTrip(t *testing.T) {
	members := []PartyMemberAt{{Leader: 7, Character: 7, JoinedUnixUs: 5, Name: "ann"}, {Leader: 7, Character: 8, JoinedUnixUs: 6, Name: "bob"}}
	in := PartyCheck{Parties: []Party{{Leader: 7, JoinedUnixUs: 1_700_000_000_000_001}, {Leader: 9, JoinedUnixUs: 3}}, Members: members, ZoneName: "The Crypt"}
	var m wire.RealmMessage
	if err := DecodeRealmMessage(NewRealmEncoder().PartyCheck(&in), 1<<20, &m); err != nil || m.BodyType() != wire.RealmBodyRealmPartyCheck {
		t.Fatal(err, m.BodyType())
	}
	var w wire.RealmPartyCheck
	Member(m.Body, &w)
	if out := ReadPartyCheck(&w); !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
	members[1].Zone, members[1].ZoneName = "ZONE-3", "Westfall Hills"
	ans := PartyAnswer{Ended: []Party{{Leader: 9, JoinedUnixUs: AllMembers}}, Elsewhere: members, Settling: true}
	if err := DecodeRealmMessage(NewRealmEncoder().PartyAnswer(&ans), 1<<20, &m); err != nil || m.BodyType() != wire.RealmBodyRealmPartyAnswer {
		t.Fatal(err, m.BodyType())
	}
	var a wire.RealmPartyAnswer
	Member(m.Body, &a)
	if out := ReadPartyAnswer(&a); !reflect.DeepEqual(out, ans) {
		t.Fatalf("round trip:\n in %+v\nout %+v", ans, out)
	}
	// Past the bounds, the rest is left out rather than refused by the
	// decoder at the other end, and the message fits a link's frame.
	many := PartyCheck{Parties: make([]Party, MaxPartyCheck+5), Members: make([]PartyMemberAt, MaxPartyMembers+5)}
	for i := range many.Members {
		many.Members[i] = PartyMemberAt{Leader: 1, Character: uint64(i), JoinedUnixUs: 1, Name: strings.Repeat("n", 24)}
	}
	payload := NewRealmEncoder().PartyCheck(&many)
	if err := DecodeRealmMessage(payload, 1<<20, &m); err != nil {
		t.Fatal(err)
	}
	Member(m.Body, &w)
	if w.PartiesLength() != MaxPartyCheck || w.MembersLength() != MaxPartyMembers || len(payload) > 1<<20-1024 {
		t.Fatalf("%d parties and %d members in %d bytes, want at most %d, %d and a frame", w.PartiesLength(), w.MembersLength(), len(payload), MaxPartyCheck, MaxPartyMembers)
	}
}

func TestPartiesChangedRoundTrip(t *testing.T) {
	for _, in := range [][]uint64{{7, 1 << 60}, {}, make([]uint64, MaxPartyCheck+3)} {
		var m wire.ZoneMessage
		if err := DecodeZoneMessage(NewZoneEncoder().PartiesChanged(in), 1<<20, &m); err != nil || m.BodyType() != wire.ZoneBodyZonePartiesChanged {
			t.Fatal(err, m.BodyType())
		}
		var w wire.ZonePartiesChanged
		Member(m.Body, &w)
		if out := ReadPartiesChanged(&w); !slices.Equal(out, in[:min(len(in), MaxPartyCheck)]) {
			t.Fatalf("round trip of %d leaders: %d out", len(in), len(out))
		}
	}
}

func TestPartyElsewhereRoundTrip(t *testing.T) {
	far := []PartyElsewhere{{Name: "ann", Zone: "ZONE-3", Leads: true, ZoneName: "Westfall Hills"}, {Name: "cid", Zone: "INSTANCE-1"}}
	var m wire.ServerMessage
	if err := DecodeServerMessage(NewPlayerEncoder().Party([]PartyMember{{ID: 7, Name: "bob"}}, 9, far...), &m); err != nil || m.BodyType() != wire.ServerBodyParty {
		t.Fatal(err, m.BodyType())
	}
	var p wire.Party
	Member(m.Body, &p)
	if got := ReadPartyElsewhere(&p); !reflect.DeepEqual(got, far) || len(ReadParty(&p)) != 1 {
		t.Fatalf("elsewhere: %+v, want %+v", got, far)
	}
}
