// Package frame reads and writes length-prefixed frames on a byte stream
// (the node links' TCP connections and the players' reliable QUIC streams).
//
// A frame is a 4-byte little-endian length followed by that many bytes. The
// Reader checks the length against its maximum before it allocates or reads
// anything, and reuses one buffer for every frame. Main types: Reader, Writer.
package frame
