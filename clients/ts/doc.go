// Package ts is the TypeScript client kit: the code flatc generates from
// the schemas (gen, committed; make generate writes it beside net/wire),
// World, which applies snapshots to a view of the entities as net/client
// does (src/world.ts), and encoders for everything a client sends
// (src/encode.ts). Its Go test compiles the kit with tsc against the
// official flatbuffers TypeScript runtime (the release go.mod pins, from
// the module cache) and runs a Node round trip against the Go encoders
// and decoders.
package ts
