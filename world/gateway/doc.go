// Package gateway is the client node: it holds players' QUIC connections
// and builds, for each player, the snapshots that player sees.
//
// View is one player's snapshot builder. Each tick it takes what the
// player can see (the entities in its interest area, from the gateway's
// mirrors of the zone's cells) and makes one datagram: a delta against the
// last snapshot the player acknowledged (full state when that one is too
// old), changes ordered by an accumulated priority so that none starves,
// cut at the player's byte budget.
package gateway
