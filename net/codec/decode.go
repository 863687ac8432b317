package codec

import (
	"errors"
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/fbcheck"
	"github.com/gridrealm/gridrealm/net/wire"
)

// ErrMalformed is wrapped by every decode error: the bytes are not a valid
// message of the expected kind. The connection that sent them should be
// closed with the error as the reason.
var ErrMalformed = fbcheck.ErrMalformed

// ErrTooLarge is wrapped when a message exceeds its envelope's size limit.
var ErrTooLarge = fmt.Errorf("%w: message too large", ErrMalformed)

// File identifiers of the root types (bytes 4..8 of every buffer).
const (
	identCellDelta     = "GRCD"
	identSnapshot      = "GRSN"
	identInput         = "GRIN"
	identClientMessage = "GRCM"
	identServerMessage = "GRSM"
	identNodeFrame     = "GRNF"
	identDbMessage     = "GRDB"
	identRealmMessage  = "GRRM"
	identZoneMessage   = "GRZN"
	identGatewayMsg    = "GRGW"
)

// verify is the one guarded path every decoder takes: size cap, structural
// check, and a recover in case a check is missing, so that hostile bytes end
// as an error and never as a crash.
func verify(buf []byte, max int, ident string, s *fbcheck.Schema) (pos flatbuffers.UOffsetT, err error) {
	if len(buf) > max {
		return 0, fmt.Errorf("%s of %d bytes, limit %d: %w", s.Name, len(buf), max, ErrTooLarge)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: check panicked: %v", ErrMalformed, s.Name, r)
		}
	}()
	p, err := fbcheck.Verify(buf, ident, s, fbcheck.Limits{MaxDepth: 4})
	if err != nil {
		return 0, fmt.Errorf("decode %s: %w", s.Name, err)
	}
	return flatbuffers.UOffsetT(p), nil
}

// DecodeCellDelta checks buf and points d at it.
func DecodeCellDelta(buf []byte, max int, d *wire.CellDelta) error {
	pos, err := verify(buf, max, identCellDelta, schema.cellDelta)
	if err != nil {
		return err
	}
	d.Init(buf, pos)
	if d.CellSize() == 0 {
		return fmt.Errorf("decode CellDelta: %w: cell_size 0", ErrMalformed)
	}
	return nil
}

// DecodeSnapshot checks buf and points s at it.
func DecodeSnapshot(buf []byte, s *wire.Snapshot) error {
	pos, err := verify(buf, MaxDatagram, identSnapshot, schema.snapshot)
	if err != nil {
		return err
	}
	s.Init(buf, pos)
	return nil
}

// DecodeInput checks buf and points in at it.
func DecodeInput(buf []byte, in *wire.Input) error {
	pos, err := verify(buf, MaxInput, identInput, schema.input)
	if err != nil {
		return err
	}
	in.Init(buf, pos)
	return nil
}

// DecodeClientMessage checks buf and points m at it. The caller switches on
// m.BodyType(); every member's accessors are safe after a nil error.
func DecodeClientMessage(buf []byte, m *wire.ClientMessage) error {
	pos, err := verify(buf, MaxPlayerMessage, identClientMessage, schema.clientMessage)
	if err != nil {
		return err
	}
	m.Init(buf, pos)
	if m.BodyType() == wire.ClientBodyNONE {
		return fmt.Errorf("decode ClientMessage: %w: empty body", ErrMalformed)
	}
	return nil
}

// DecodeServerMessage checks buf and points m at it.
func DecodeServerMessage(buf []byte, m *wire.ServerMessage) error {
	pos, err := verify(buf, MaxPlayerMessage, identServerMessage, schema.serverMessage)
	if err != nil {
		return err
	}
	m.Init(buf, pos)
	if m.BodyType() == wire.ServerBodyNONE {
		return fmt.Errorf("decode ServerMessage: %w: empty body", ErrMalformed)
	}
	return nil
}

// DecodeNodeFrame checks buf (at most max bytes) and points f at it.
func DecodeNodeFrame(buf []byte, max int, f *wire.NodeFrame) error {
	pos, err := verify(buf, max, identNodeFrame, schema.nodeFrame)
	if err != nil {
		return err
	}
	f.Init(buf, pos)
	if f.BodyType() == wire.NodeBodyNONE {
		return fmt.Errorf("decode NodeFrame: %w: empty body", ErrMalformed)
	}
	return nil
}

// IsMalformed reports whether err came from bad input rather than from the
// local node.
func IsMalformed(err error) bool { return errors.Is(err, ErrMalformed) }

// Initer is any generated table.
type Initer interface {
	Init(buf []byte, i flatbuffers.UOffsetT)
}

// Member points dst at the value of a checked union, given the union's
// accessor (for example f.Body of a wire.NodeFrame), and reports whether the
// union has a value. The caller picks dst's type by switching on the union's
// type accessor first.
func Member(union func(*flatbuffers.Table) bool, dst Initer) bool {
	var t flatbuffers.Table
	if !union(&t) {
		return false
	}
	dst.Init(t.Bytes, t.Pos)
	return true
}

// DecodeDbMessage checks buf (at most max bytes) and points m at it.
func DecodeDbMessage(buf []byte, max int, m *wire.DbMessage) error {
	pos, err := verify(buf, max, identDbMessage, schema.dbMessage)
	if err != nil {
		return err
	}
	m.Init(buf, pos)
	if m.BodyType() == wire.DbBodyNONE {
		return fmt.Errorf("decode DbMessage: %w: empty body", ErrMalformed)
	}
	if m.BodyType() == wire.DbBodyDbRequest {
		var r wire.DbRequest
		Member(m.Body, &r)
		if r.OpType() == wire.DbOpNONE {
			return fmt.Errorf("decode DbMessage: %w: request without an operation", ErrMalformed)
		}
	}
	return nil
}

// DecodeRealmMessage checks buf and points m at it.
func DecodeRealmMessage(buf []byte, max int, m *wire.RealmMessage) error {
	pos, err := verify(buf, max, identRealmMessage, schema.realmMessage)
	if err != nil {
		return err
	}
	m.Init(buf, pos)
	if m.BodyType() == wire.RealmBodyNONE {
		return fmt.Errorf("decode RealmMessage: %w: empty body", ErrMalformed)
	}
	return nil
}

// DecodeGatewayMessage checks buf and points m at it.
func DecodeGatewayMessage(buf []byte, max int, m *wire.GatewayMessage) error {
	pos, err := verify(buf, max, identGatewayMsg, schema.gatewayMessage)
	if err != nil {
		return err
	}
	m.Init(buf, pos)
	if m.BodyType() == wire.GatewayBodyNONE {
		return fmt.Errorf("decode GatewayMessage: %w: empty body", ErrMalformed)
	}
	return nil
}
