package codec

import (
	"encoding/binary"
	"unsafe"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// entityOffsets are the vectors of one Updates, built before their table.
type entityOffsets struct {
	moves, states, enters, leaves flatbuffers.UOffsetT
}

// packUpdates writes the non-empty vectors of u; empty ones stay absent and
// cost no bytes. Where the records' Go layout is their wire layout (little
// endian machines: see recordsInWireLayout), each vector is one copy of its
// slice's memory; elsewhere each record is placed as one or two
// little-endian words. Either way there are none of the per-record Prep
// and per-field calls of the generated Create functions (most of encoding
// time); TestPackedRecordsMatchGenerated holds both ways to their bytes.
func packUpdates(b *flatbuffers.Builder, u *Updates) entityOffsets {
	if recordsInWireLayout {
		return entityOffsets{
			moves:  copyVector(b, u.Moves),
			states: copyVector(b, u.States),
			enters: copyVector(b, u.Enters),
			leaves: copyVector(b, u.Leaves),
		}
	}
	return placeUpdates(b, u)
}

// recordsInWireLayout is whether Move, State, Spawn and a leave's ID lie in
// memory as they do on the wire: little-endian fields, in declaration
// order, without padding.
var recordsInWireLayout = binary.NativeEndian.Uint16([]byte{1, 0}) == 1 &&
	unsafe.Sizeof(Move{}) == sizeMove && unsafe.Offsetof(Move{}.X) == 4 && unsafe.Offsetof(Move{}.Y) == 6 &&
	unsafe.Sizeof(State{}) == sizeState && unsafe.Offsetof(State{}.Heading) == 4 && unsafe.Offsetof(State{}.Flags) == 7 &&
	unsafe.Sizeof(Spawn{}) == sizeSpawn && unsafe.Offsetof(Spawn{}.Template) == 4 && unsafe.Offsetof(Spawn{}.X) == 6 &&
	unsafe.Offsetof(Spawn{}.Y) == 8 && unsafe.Offsetof(Spawn{}.Kind) == 10 && unsafe.Offsetof(Spawn{}.Level) == 15

// copyVector writes a vector of records (4-byte aligned, as every record
// type here is) as one copy of their memory; 0 when there are none.
func copyVector[T Move | State | Spawn | uint32](b *flatbuffers.Builder, recs []T) flatbuffers.UOffsetT {
	if len(recs) == 0 {
		return 0
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(recs))), len(recs)*int(unsafe.Sizeof(recs[0])))
	o := b.CreateByteVector(raw)
	// The length it wrote counts bytes; a vector's counts records.
	binary.LittleEndian.PutUint32(b.Bytes[b.Head():], uint32(len(recs)))
	return o
}

// placeUpdates is packUpdates a word at a time, for machines where the
// records' memory is not their wire bytes.
func placeUpdates(b *flatbuffers.Builder, u *Updates) entityOffsets {
	var o entityOffsets
	if n := len(u.Moves); n > 0 {
		b.StartVector(sizeMove, n, 4)
		for i := n - 1; i >= 0; i-- {
			m := &u.Moves[i] // id u32, x u16, y u16
			b.PlaceUint64(uint64(m.ID) | uint64(m.X)<<32 | uint64(m.Y)<<48)
		}
		o.moves = b.EndVector(n)
	}
	if n := len(u.States); n > 0 {
		b.StartVector(sizeState, n, 4)
		for i := n - 1; i >= 0; i-- {
			s := &u.States[i] // id u32, heading, health, anim, flags u8
			b.PlaceUint64(uint64(s.ID) | uint64(s.Heading)<<32 | uint64(s.Health)<<40 | uint64(s.Anim)<<48 | uint64(s.Flags)<<56)
		}
		o.states = b.EndVector(n)
	}
	if n := len(u.Enters); n > 0 {
		b.StartVector(sizeSpawn, n, 4)
		for i := n - 1; i >= 0; i-- {
			s := &u.Enters[i] // id u32, template u16, x u16 | y u16, kind, heading, health, anim, flags, level u8
			b.PlaceUint64(uint64(s.Y) | uint64(s.Kind)<<16 | uint64(s.Heading)<<24 | uint64(s.Health)<<32 |
				uint64(s.Anim)<<40 | uint64(s.Flags)<<48 | uint64(s.Level)<<56)
			b.PlaceUint64(uint64(s.ID) | uint64(s.Template)<<32 | uint64(s.X)<<48)
		}
		o.enters = b.EndVector(n)
	}
	if n := len(u.Leaves); n > 0 {
		b.StartVector(4, n, 4)
		for i := n - 1; i >= 0; i-- {
			b.PlaceUint32(u.Leaves[i])
		}
		o.leaves = b.EndVector(n)
	}
	return o
}

// SnapshotEncoder encodes player snapshots with one reused builder.
// It is not safe for concurrent use; use one per goroutine.
type SnapshotEncoder struct {
	b     *flatbuffers.Builder
	ident [4]byte
}

// NewSnapshotEncoder returns an encoder sized for one datagram.
func NewSnapshotEncoder() *SnapshotEncoder {
	return &SnapshotEncoder{b: flatbuffers.NewBuilder(2 << 10), ident: ident(identSnapshot)}
}

// Encode returns s's bytes, valid until the next call.
func (e *SnapshotEncoder) Encode(s *Snapshot) []byte {
	b := e.b
	b.Reset()
	o := packUpdates(b, &s.Updates)
	wire.SnapshotStart(b)
	wire.SnapshotAddTickUnixMs(b, s.TickUnixMs)
	wire.SnapshotAddSeq(b, s.Seq)
	wire.SnapshotAddBaseline(b, s.Baseline)
	wire.SnapshotAddTick(b, s.Tick)
	wire.SnapshotAddOriginX(b, s.OriginX)
	wire.SnapshotAddOriginY(b, s.OriginY)
	wire.SnapshotAddSelf(b, s.Self)
	addOffset(b, wire.SnapshotAddMoves, o.moves)
	addOffset(b, wire.SnapshotAddStates, o.states)
	addOffset(b, wire.SnapshotAddEnters, o.enters)
	addOffset(b, wire.SnapshotAddLeaves, o.leaves)
	b.FinishWithFileIdentifier(wire.SnapshotEnd(b), e.ident[:])
	return b.FinishedBytes()
}

// SnapshotOverhead is the size of an empty snapshot with every header field
// set: what a budget must keep free besides the records.
const SnapshotOverhead = 72

func addOffset(b *flatbuffers.Builder, add func(*flatbuffers.Builder, flatbuffers.UOffsetT), off flatbuffers.UOffsetT) {
	if off != 0 {
		add(b, off)
	}
}

// ident turns a file identifier into the array an encoder keeps, so that
// finishing a buffer does not allocate.
func ident(id string) (a [4]byte) {
	copy(a[:], id)
	return a
}

// offsetVector builds a vector of the tables (or strings) at offs, in
// their order.
func offsetVector(b *flatbuffers.Builder, offs []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	b.StartVector(4, len(offs), 4)
	for i := len(offs) - 1; i >= 0; i-- {
		b.PrependUOffsetT(offs[i])
	}
	return b.EndVector(len(offs))
}
