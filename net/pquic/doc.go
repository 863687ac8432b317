// Package pquic is the players' transport: QUIC (quic-go) with TLS 1.3,
// the ALPN "gridrealm/1", one reliable bidirectional stream per connection
// for control and events (length-prefixed frames, like node links) and
// unreliable datagrams for snapshots and inputs. 0-RTT data is never
// accepted: a replayed first flight must not log anyone in.
//
// Main types: Session (one player connection), Listener.
package pquic
