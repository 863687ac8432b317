package codec

import (
	"slices"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// TestWhoIsAndNamesRoundTrip: a WhoIs carries its ids (the first MaxWhoIs
// of more), Names its entities with their names clipped to MaxName; a WhoIs
// built by hand with more than MaxWhoIs ids does not decode.
func TestWhoIsAndNamesRoundTrip(t *testing.T) {
	p := NewPlayerEncoder()
	ids := make([]uint32, MaxWhoIs+10)
	for i := range ids {
		ids[i] = uint32(i*7 + 1)
	}
	var cm wire.ClientMessage
	if err := DecodeClientMessage(p.WhoIs(ids), &cm); err != nil || cm.BodyType() != wire.ClientBodyWhoIs {
		t.Fatalf("WhoIs: %v, body %v", err, cm.BodyType())
	}
	var w wire.WhoIs
	Member(cm.Body, &w)
	if got := ReadWhoIs(&w, nil); !slices.Equal(got, ids[:MaxWhoIs]) {
		t.Fatalf("WhoIs carried %d ids, want the first %d", len(got), MaxWhoIs)
	}

	long := string(make([]byte, MaxName+20))
	named := []Named{{ID: 7, Kind: wire.EntityKindPlayer, Name: "Ælfred"}, {ID: 4_000_000_000, Kind: wire.EntityKindNpc, Template: 104, Name: "Crypt Guard"},
		{ID: 9, Kind: wire.EntityKindNpc, Name: long}}
	var sm wire.ServerMessage
	if err := DecodeServerMessage(p.Names(named), &sm); err != nil || sm.BodyType() != wire.ServerBodyNames {
		t.Fatalf("Names: %v, body %v", err, sm.BodyType())
	}
	var n wire.Names
	Member(sm.Body, &n)
	got := ReadNames(&n, nil)
	if len(got) != 3 || got[0] != named[0] || got[1] != named[1] || len(got[2].Name) != MaxName {
		t.Fatalf("Names read %+v", got)
	}

	// As many ids as MaxWhoIs, and one more, built without the encoder's
	// bound.
	for _, n := range []int{MaxWhoIs, MaxWhoIs + 1} {
		b := flatbuffers.NewBuilder(0)
		b.StartVector(4, n, 4)
		for range n {
			b.PrependUint32(1)
		}
		v := b.EndVector(n)
		wire.WhoIsStart(b)
		wire.WhoIsAddIds(b, v)
		body := wire.WhoIsEnd(b)
		wire.ClientMessageStart(b)
		wire.ClientMessageAddBodyType(b, wire.ClientBodyWhoIs)
		wire.ClientMessageAddBody(b, body)
		b.FinishWithFileIdentifier(wire.ClientMessageEnd(b), []byte("GRCM"))
		if err := DecodeClientMessage(b.FinishedBytes(), &cm); (err == nil) != (n <= MaxWhoIs) {
			t.Fatalf("a WhoIs of %d ids: %v", n, err)
		}
	}
}
