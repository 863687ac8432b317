// Package fbcheck checks that a FlatBuffers buffer from an untrusted source is
// safe to read with the generated Go accessors.
//
// The Go FlatBuffers runtime has no verifier: an offset that points outside
// the buffer panics. A Verifier walks a buffer the way the accessors will,
// table by table and field by field, and checks every offset, vtable and
// vector length against the buffer's bounds and the caller's limits before
// any accessor runs. Schema-specific walks (one per message envelope) live in
// net/codec; this package only knows the binary format.
//
// Main types: Verifier (one check of one buffer, kept on the stack) and Table
// (a checked table position).
package fbcheck
