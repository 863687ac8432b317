// Package codec is the only place where GridRealm code meets FlatBuffers.
//
// Encoding is layered like the seed's PackVector / PackMOB: quantizers turn
// positions, headings and health into wire units (ecs/spatial, quant.go, so
// that the zone's replication system can use them too); records (Move,
// State, Spawn here, and spatial.CellChanges) are the fixed-size entity
// updates; encoders (CellDeltaEncoder,
// SnapshotEncoder, NodeEncoder, PlayerEncoder) build whole messages with a
// reused builder, so that steady-state encoding allocates nothing. The bytes
// an encoder returns stay valid until its next call.
//
// Decoding is the hostile-input boundary. Every envelope that arrives from
// outside (NodeFrame, CellDelta, Snapshot, Input, ClientMessage,
// ServerMessage) has one Decode function that caps its size, checks every
// offset and vector length with net/fbcheck before any accessor runs,
// recovers from any panic, and returns an error that says what was wrong
// (errors.Is(err, ErrMalformed) for all of them). After a Decode function
// returns nil, every generated accessor of that message is safe to call.
package codec
