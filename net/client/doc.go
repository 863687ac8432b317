// Package client is GridRealm's client library in Go, for game clients,
// tools and bots: it logs in, connects to a gateway, sends inputs and
// keeps a local view of the world from the snapshots it receives.
//
// World is that view. Snapshots arrive as unreliable datagrams, each a
// delta against an older snapshot the client acknowledged (its baseline).
// World keeps the views of recent snapshots, applies each new one on top of
// its baseline's view, and tells you what to acknowledge next; a snapshot
// whose baseline it no longer has is skipped, and the gateway falls back
// to full state. Positions are in metres, zone coordinates, as the
// protocol quantized them (1/256 m).
package client
