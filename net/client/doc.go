// Package client is GridRealm's client library in Go, for game clients,
// tools and bots: it logs in, connects to a gateway, sends inputs and
// chat, keeps a local view of the world from the snapshots it receives,
// and hands you the game's events.
//
// A session, in order (Example has it whole, compiled with the package):
// Login, then ConnectWith the handle it returns, then SendInput once per
// tick, View to read what the player sees, Chat, and Close.
//
// Login answers with a session handle (valid once, for a couple of
// minutes) and the gateways to try. Connect presents it and follows a
// redirect to a less loaded gateway; Welcome then says which entity is the
// player, the tick rate, the snapshot budget and where the player stands.
// LoginNodes lists every login node of a realm: a login waiting in a full
// realm's line (LoginInLine) whose login node dies or stops moves on to
// the next with the ticket it was last given, and keeps its place.
//
// Inputs are datagrams: the newest wins, and each acknowledges the newest
// snapshot applied. SendInput fills in the claimed position (where the
// client last saw its own entity) unless you set one; a claim the server
// finds impossible is answered with a Correction, and repeated offences
// end the connection.
//
// World is the view. Snapshots arrive as unreliable datagrams, each a
// delta against an older snapshot the client acknowledged (its baseline).
// World keeps the views of recent snapshots, applies each new one on top of
// its baseline's view, and tells you what to acknowledge next; a snapshot
// whose baseline it no longer has is skipped, and the gateway falls back
// to full state. Positions are in metres, zone coordinates, as the
// protocol quantized them (1/256 m).
//
// Events arrive on the reliable stream and go to Options.OnEvent; Counters
// counts them, with what the connection received and why it ended. Done
// and Err say when and why a connection ended.
//
// Tools that run many clients (a load test) can share one UDP socket among
// many connections with Options.Transport (pquic.NewTransport), and watch
// every snapshot with Options.OnSnapshot.
package client
