package fbcheck

import (
	"errors"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"
)

// sample is a table { count:uint32; name:string; ids:[uint32]; child:sample }
// nested depth times, with file identifier "TEST".
func sample(name string, ids []uint32, depth int) []byte {
	b := flatbuffers.NewBuilder(0)
	var child flatbuffers.UOffsetT
	for d := 0; d < depth; d++ {
		s := b.CreateString(name)
		b.StartVector(4, len(ids), 4)
		for i := len(ids) - 1; i >= 0; i-- {
			b.PrependUint32(ids[i])
		}
		v := b.EndVector(len(ids))
		b.StartObject(4)
		b.PrependUint32Slot(0, 7, 0)
		b.PrependUOffsetTSlot(1, s, 0)
		b.PrependUOffsetTSlot(2, v, 0)
		if child != 0 {
			b.PrependUOffsetTSlot(3, child, 0)
		}
		child = b.EndObject()
	}
	b.FinishWithFileIdentifier(child, []byte("TEST"))
	return b.FinishedBytes()
}

func sampleSchema() *Schema {
	s := &Schema{Name: "Sample", Fields: []Field{
		{Name: "Count", Slot: 4, Kind: Scalar, Size: 4},
		{Name: "Name", Slot: 6, Kind: String, Max: 16},
		{Name: "Ids", Slot: 8, Kind: Vector, Size: 4, Max: 8},
	}}
	s.Fields = append(s.Fields, Field{Name: "Child", Slot: 10, Kind: SubTable, Table: s})
	return s
}

func TestWellFormedBufferPasses(t *testing.T) {
	buf := sample("ann", []uint32{1, 2, 3}, 3)
	if _, err := Verify(buf, "TEST", sampleSchema(), Limits{}); err != nil {
		t.Fatal(err)
	}
}

// TestLimitsAndIdentifierAreChecked: each limit a hostile sender could
// overstep is refused with ErrMalformed.
func TestLimitsAndIdentifierAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		buf   []byte
		ident string
		lim   Limits
	}{
		{"string over its maximum", sample("a name far longer than sixteen", nil, 1), "TEST", Limits{}},
		{"vector over its maximum", sample("ann", make([]uint32, 9), 1), "TEST", Limits{}},
		{"tables nested too deep", sample("ann", nil, 5), "TEST", Limits{MaxDepth: 3}},
		{"too many tables", sample("ann", nil, 5), "TEST", Limits{MaxTables: 2}},
		{"another file identifier", sample("ann", nil, 1), "NOPE", Limits{}},
		{"empty", nil, "TEST", Limits{}},
	} {
		_, err := Verify(tc.buf, tc.ident, sampleSchema(), tc.lim)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestDamagedBuffersNeverPanic: every truncation and every single-byte
// change of a good buffer is either accepted or refused, never a panic or
// an out-of-range read.
func TestDamagedBuffersNeverPanic(t *testing.T) {
	good := sample("ann", []uint32{1, 2, 3}, 3)
	s := sampleSchema()
	for n := 0; n < len(good); n++ {
		if _, err := Verify(good[:n], "TEST", s, Limits{}); err == nil {
			t.Fatalf("a buffer cut to %d of %d bytes passed", n, len(good))
		}
	}
	for i := range good {
		for _, x := range []byte{0x00, 0x01, 0x7f, 0x80, 0xff} {
			bad := append([]byte(nil), good...)
			bad[i] = x
			Verify(bad, "TEST", s, Limits{})
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(sample("ann", []uint32{1, 2, 3}, 2))
	s := sampleSchema()
	f.Fuzz(func(t *testing.T, buf []byte) {
		Verify(buf, "TEST", s, Limits{MaxDepth: 8, MaxTables: 64})
	})
}
