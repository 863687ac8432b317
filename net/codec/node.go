package codec

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// Hello opens a node link (wire.Hello).
type Hello struct {
	NodeID, Role, Realm string
	Incarnation         uint64
	Nonce               []byte
	Protocol            uint16
}

// Envelope is one one-way RPC of a node link (wire.Envelope).
type Envelope struct {
	Kind        uint16
	Correlation uint64
	Priority    wire.Priority
	History     bool
	Reply       bool
	Replayed    bool
	Seq         uint64
	SentUnixMs  int64
	Payload     []byte
}

// NodeEncoder encodes node frames with one reused builder. Each sending
// goroutine owns one; it is not safe for concurrent use.
type NodeEncoder struct {
	b     *flatbuffers.Builder
	ident [4]byte
}

// NewNodeEncoder returns an encoder whose builder grows to the largest frame.
func NewNodeEncoder() *NodeEncoder {
	return &NodeEncoder{b: flatbuffers.NewBuilder(1 << 10), ident: ident(identNodeFrame)}
}

func (e *NodeEncoder) finish(typ wire.NodeBody, body flatbuffers.UOffsetT) []byte {
	b := e.b
	wire.NodeFrameStart(b)
	wire.NodeFrameAddBodyType(b, typ)
	wire.NodeFrameAddBody(b, body)
	b.FinishWithFileIdentifier(wire.NodeFrameEnd(b), e.ident[:])
	return b.FinishedBytes()
}

// Hello returns a Hello frame, valid until the next call.
func (e *NodeEncoder) Hello(h *Hello) []byte {
	b := e.b
	b.Reset()
	id, role, realm := b.CreateString(h.NodeID), b.CreateString(h.Role), b.CreateString(h.Realm)
	nonce := b.CreateByteVector(h.Nonce)
	wire.HelloStart(b)
	wire.HelloAddIncarnation(b, h.Incarnation)
	wire.HelloAddNodeId(b, id)
	wire.HelloAddRole(b, role)
	wire.HelloAddRealm(b, realm)
	wire.HelloAddNonce(b, nonce)
	wire.HelloAddProtocol(b, h.Protocol)
	return e.finish(wire.NodeBodyHello, wire.HelloEnd(b))
}

// HelloProof returns a HelloProof frame with the MAC and the per-priority
// stream bases and delivered sequences.
func (e *NodeEncoder) HelloProof(mac []byte, streamBase, delivered []uint64) []byte {
	b := e.b
	b.Reset()
	m := b.CreateByteVector(mac)
	sb := e.uint64s(streamBase)
	dl := e.uint64s(delivered)
	wire.HelloProofStart(b)
	wire.HelloProofAddMac(b, m)
	wire.HelloProofAddStreamBase(b, sb)
	wire.HelloProofAddDelivered(b, dl)
	return e.finish(wire.NodeBodyHelloProof, wire.HelloProofEnd(b))
}

func (e *NodeEncoder) uint64s(v []uint64) flatbuffers.UOffsetT {
	b := e.b
	b.StartVector(8, len(v), 8)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUint64(v[i])
	}
	return b.EndVector(len(v))
}

// Heartbeat returns a Heartbeat frame.
func (e *NodeEncoder) Heartbeat(sentUnixNs int64) []byte {
	b := e.b
	b.Reset()
	wire.HeartbeatStart(b)
	wire.HeartbeatAddSentUnixNs(b, sentUnixNs)
	return e.finish(wire.NodeBodyHeartbeat, wire.HeartbeatEnd(b))
}

// Envelope returns an Envelope frame.
func (e *NodeEncoder) Envelope(env *Envelope) []byte {
	b := e.b
	b.Reset()
	payload := b.CreateByteVector(env.Payload)
	wire.EnvelopeStart(b)
	wire.EnvelopeAddCorrelation(b, env.Correlation)
	wire.EnvelopeAddSeq(b, env.Seq)
	wire.EnvelopeAddSentUnixMs(b, env.SentUnixMs)
	wire.EnvelopeAddPayload(b, payload)
	wire.EnvelopeAddKind(b, env.Kind)
	wire.EnvelopeAddPriority(b, env.Priority)
	wire.EnvelopeAddHistory(b, env.History)
	wire.EnvelopeAddReply(b, env.Reply)
	wire.EnvelopeAddReplayed(b, env.Replayed)
	return e.finish(wire.NodeBodyEnvelope, wire.EnvelopeEnd(b))
}

// Ack returns an Ack frame: per priority, the highest sequence processed.
func (e *NodeEncoder) Ack(delivered []uint64) []byte {
	b := e.b
	b.Reset()
	dl := e.uint64s(delivered)
	wire.AckStart(b)
	wire.AckAddDelivered(b, dl)
	return e.finish(wire.NodeBodyAck, wire.AckEnd(b))
}

// HistoryRequest returns a HistoryRequest frame.
func (e *NodeEncoder) HistoryRequest(windowMs uint32) []byte {
	b := e.b
	b.Reset()
	wire.HistoryRequestStart(b)
	wire.HistoryRequestAddWindowMs(b, windowMs)
	return e.finish(wire.NodeBodyHistoryRequest, wire.HistoryRequestEnd(b))
}

// Bye returns a Bye frame.
func (e *NodeEncoder) Bye(reason string) []byte {
	b := e.b
	b.Reset()
	r := b.CreateString(reason)
	wire.ByeStart(b)
	wire.ByeAddReason(b, r)
	return e.finish(wire.NodeBodyBye, wire.ByeEnd(b))
}

// ReadHello copies a checked Hello out of its frame; nothing of it points
// into the frame's bytes.
func ReadHello(w *wire.Hello) Hello {
	return Hello{
		NodeID: string(w.NodeId()), Role: string(w.Role()), Realm: string(w.Realm()),
		Incarnation: w.Incarnation(), Nonce: append([]byte(nil), w.NonceBytes()...), Protocol: w.Protocol(),
	}
}

// ReadEnvelope copies a checked Envelope's fields; Payload points into the
// frame and is valid only as long as the frame's bytes are.
func ReadEnvelope(w *wire.Envelope) Envelope {
	return Envelope{
		Kind: w.Kind(), Correlation: w.Correlation(), Priority: w.Priority(),
		History: w.History(), Reply: w.Reply(), Replayed: w.Replayed(),
		Seq: w.Seq(), SentUnixMs: w.SentUnixMs(), Payload: w.PayloadBytes(),
	}
}
