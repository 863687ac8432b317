// Package gateway is the client node: it holds players' QUIC connections
// and builds, for each player, the snapshots that player sees.
//
//	owns      players' QUIC connections, their views, budgets and pacing
//	limited by network and CPU
//	talks to  players (QUIC), zones, the realm node, other gateways (TCP)
//
// View is one player's snapshot builder. Each tick it takes what the
// player can see (the entities in its interest area, from the gateway's
// mirrors of the zone's cells) and makes one datagram: a delta against the
// last snapshot the player acknowledged (full state when that one is too
// old), changes ordered by an accumulated priority so that none starves,
// cut at the player's byte budget.
//
// Node is the running gateway: it accepts players (redirecting them to a
// less loaded sibling), asks the realm where each one's character is,
// subscribes to the cells within the zone's view radius of each player,
// mirrors them, builds every player's snapshot once per zone tick and
// paces the sends over the tick. A character's newer connection replaces
// an older one (closed with the reason Replaced). Inputs and stream
// messages are budgeted per kind; claimed moves are checked on the zone's
// terrain and answered with corrections.
//
// Main types: [Node] (Start, Stop), [Config], [View], [Scratch].
package gateway
