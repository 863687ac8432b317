package codec

import (
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
	body := wire.SessionCreatedEnd(b)
	wire.RealmMessageStart(b)
	wire.RealmMessageAddBodyType(b, wire.RealmBodySessionCreated)
	wire.RealmMessageAddBody(b, body)
	b.FinishWithFileIdentifier(wire.RealmMessageEnd(b), e.ident[:])
	return b.FinishedBytes()
}

// ReadSessionCreated copies a checked SessionCreated.
func ReadSessionCreated(w *wire.SessionCreated) SessionCreated {
	return SessionCreated{Handle: append([]byte(nil), w.HandleBytes()...), Account: string(w.Account()),
		ExpiresUnixMs: w.ExpiresUnixMs(), Address: string(w.Address())}
}
