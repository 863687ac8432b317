package fbcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error this package returns.
var ErrMalformed = errors.New("malformed flatbuffer")

// Error says what was wrong and where.
type Error struct {
	What string
	Pos  int
}

func (e *Error) Error() string {
	return fmt.Sprintf("malformed flatbuffer: %s at byte %d", e.What, e.Pos)
}

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *Error) Unwrap() error { return ErrMalformed }

// Limits bound the work one Verifier does, so that a small hostile buffer
// cannot make it walk for long.
type Limits struct {
	// MaxDepth is how deep tables may nest (default 16).
	MaxDepth int
	// MaxTables is how many tables one buffer may hold (default 1,000,000).
	MaxTables int
}

// Verifier checks one buffer. Its zero value is not usable; use New.
type Verifier struct {
	buf    []byte
	depth  int
	tables int
	limits Limits
}

// Table is a table whose header and vtable were checked.
type Table struct {
	Pos    uint32 // position of the table in the buffer
	vt     uint32 // position of its vtable
	vtLen  uint32 // vtable length in bytes
	objLen uint32 // table length in bytes
}

// New returns a verifier for buf.
func New(buf []byte, limits Limits) Verifier {
	if limits.MaxDepth <= 0 {
		limits.MaxDepth = 16
	}
	if limits.MaxTables <= 0 {
		limits.MaxTables = 1_000_000
	}
	return Verifier{buf: buf, limits: limits}
}

func (v *Verifier) fail(what string, pos uint64) error {
	return &Error{What: what, Pos: int(pos)}
}

// in reports whether [pos, pos+n) lies inside the buffer.
func (v *Verifier) in(pos, n uint64) bool { return pos+n <= uint64(len(v.buf)) }

func (v *Verifier) u16(pos uint64) uint32 { return uint32(binary.LittleEndian.Uint16(v.buf[pos:])) }
func (v *Verifier) u32(pos uint64) uint32 { return binary.LittleEndian.Uint32(v.buf[pos:]) }

// Root checks the root offset and the file identifier (if ident is not
// empty) and returns the root table.
func (v *Verifier) Root(ident string) (Table, error) {
	need := uint64(4 + len(ident))
	if !v.in(0, need) {
		return Table{}, v.fail("buffer too short for a root", 0)
	}
	if ident != "" && string(v.buf[4:4+len(ident)]) != ident {
		return Table{}, v.fail(fmt.Sprintf("file identifier is not %q", ident), 4)
	}
	return v.table(uint64(v.u32(0)))
}

func (v *Verifier) table(pos uint64) (Table, error) {
	v.tables++
	if v.tables > v.limits.MaxTables {
		return Table{}, v.fail("too many tables", pos)
	}
	if !v.in(pos, 4) {
		return Table{}, v.fail("table outside buffer", pos)
	}
	soff := int64(int32(v.u32(pos)))
	vt := int64(pos) - soff
	if vt < 0 || !v.in(uint64(vt), 4) {
		return Table{}, v.fail("vtable outside buffer", pos)
	}
	vtLen := v.u16(uint64(vt))
	objLen := v.u16(uint64(vt) + 2)
	if vtLen < 4 || vtLen%2 != 0 || !v.in(uint64(vt), uint64(vtLen)) {
		return Table{}, v.fail("bad vtable length", uint64(vt))
	}
	if objLen < 4 || !v.in(pos, uint64(objLen)) {
		return Table{}, v.fail("table extends past buffer", pos)
	}
	return Table{Pos: uint32(pos), vt: uint32(vt), vtLen: vtLen, objLen: objLen}, nil
}

// field returns a field's offset inside its table, 0 when absent. Slot is the
// vtable offset the generated code uses: 4 + 2*field index.
func (v *Verifier) field(t Table, slot uint16) uint32 {
	if uint32(slot)+2 > t.vtLen {
		return 0
	}
	return v.u16(uint64(t.vt) + uint64(slot))
}

// Scalar checks a scalar or struct field of size bytes.
func (v *Verifier) Scalar(t Table, slot uint16, size int) error {
	off := v.field(t, slot)
	if off != 0 && off+uint32(size) > t.objLen {
		return v.fail(fmt.Sprintf("field %d outside its table", slot), uint64(t.Pos)+uint64(off))
	}
	return nil
}

// ref follows an offset field and returns the absolute position it points to.
func (v *Verifier) ref(t Table, slot uint16) (pos uint64, present bool, err error) {
	off := v.field(t, slot)
	if off == 0 {
		return 0, false, nil
	}
	if off+4 > t.objLen {
		return 0, false, v.fail(fmt.Sprintf("offset field %d outside its table", slot), uint64(t.Pos)+uint64(off))
	}
	at := uint64(t.Pos) + uint64(off)
	return at + uint64(v.u32(at)), true, nil
}

// Vector checks a vector field of elements elemSize bytes each, with at most
// maxLen elements, and returns its length (0 when absent).
func (v *Verifier) Vector(t Table, slot uint16, elemSize, maxLen int) (int, error) {
	pos, ok, err := v.ref(t, slot)
	if err != nil || !ok {
		return 0, err
	}
	_, n, err := v.vectorAt(pos, elemSize, maxLen)
	return n, err
}

func (v *Verifier) vectorAt(pos uint64, elemSize, maxLen int) (start uint64, n int, err error) {
	if !v.in(pos, 4) {
		return 0, 0, v.fail("vector outside buffer", pos)
	}
	l := uint64(v.u32(pos))
	if l > uint64(maxLen) {
		return 0, 0, v.fail(fmt.Sprintf("vector of %d elements, limit %d", l, maxLen), pos)
	}
	if !v.in(pos+4, l*uint64(elemSize)) {
		return 0, 0, v.fail("vector extends past buffer", pos)
	}
	return pos + 4, int(l), nil
}

// String checks a string field of at most maxLen bytes, with its terminating
// zero, and returns its length (0 when absent).
func (v *Verifier) String(t Table, slot uint16, maxLen int) (int, error) {
	pos, ok, err := v.ref(t, slot)
	if err != nil || !ok {
		return 0, err
	}
	start, n, err := v.vectorAt(pos, 1, maxLen)
	if err != nil {
		return 0, err
	}
	if !v.in(start+uint64(n), 1) || v.buf[start+uint64(n)] != 0 {
		return 0, v.fail("string without terminating zero", pos)
	}
	return n, nil
}

// Table checks a sub-table field and returns it; present is false when the
// field is absent.
func (v *Verifier) Table(t Table, slot uint16) (sub Table, present bool, err error) {
	pos, ok, err := v.ref(t, slot)
	if err != nil || !ok {
		return Table{}, false, err
	}
	if v.depth >= v.limits.MaxDepth {
		return Table{}, false, v.fail("tables nested too deep", pos)
	}
	sub, err = v.table(pos)
	return sub, err == nil, err
}

// Union checks a union: its type field (one byte at typeSlot) and, when the
// type is not NONE, the table at valueSlot, which must be present.
func (v *Verifier) Union(t Table, typeSlot, valueSlot uint16) (typ byte, value Table, err error) {
	if err := v.Scalar(t, typeSlot, 1); err != nil {
		return 0, Table{}, err
	}
	if off := v.field(t, typeSlot); off != 0 {
		typ = v.buf[uint64(t.Pos)+uint64(off)]
	}
	if typ == 0 {
		return 0, Table{}, nil
	}
	value, ok, err := v.Table(t, valueSlot)
	if err != nil {
		return 0, Table{}, err
	}
	if !ok {
		return 0, Table{}, v.fail("union type set but value missing", uint64(t.Pos))
	}
	return typ, value, nil
}

// StringVector checks a vector of strings: at most maxLen strings of at most
// maxStr bytes each.
func (v *Verifier) StringVector(t Table, slot uint16, maxLen, maxStr int) (int, error) {
	pos, ok, err := v.ref(t, slot)
	if err != nil || !ok {
		return 0, err
	}
	start, n, err := v.vectorAt(pos, 4, maxLen)
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		at := start + uint64(i)*4
		s := at + uint64(v.u32(at))
		sStart, sLen, err := v.vectorAt(s, 1, maxStr)
		if err != nil {
			return 0, err
		}
		if !v.in(sStart+uint64(sLen), 1) || v.buf[sStart+uint64(sLen)] != 0 {
			return 0, v.fail("string without terminating zero", s)
		}
	}
	return n, nil
}

// Enter and Leave bracket the check of a sub-table's own fields, so that the
// depth limit holds for schemas that nest tables.
func (v *Verifier) Enter() { v.depth++ }

// Leave ends what Enter began.
func (v *Verifier) Leave() { v.depth-- }
