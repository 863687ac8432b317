// Package swarm runs headless bots against a realm, over real QUIC through
// the client library (net/client), and reports what they saw. It is what
// the swarm command runs; load tests can call Run directly.
//
// Each bot logs in (retrying while the login node says Busy, rate limits
// or cannot be reached), connects to the gateway it is given (following a
// redirect), then sends one input per tick, acknowledging the newest
// snapshot, until the run ends. Behaviors:
//
//   - wander: walk legs of 1–3 s, each turning 90° or more from the last;
//   - clump: walk to where the first bot stood and mill about within 12 m:
//     the worst case for interest management and snapshot budgets;
//   - follow: groups of ten, each bot keeping within 3 m of the one before,
//     the first of each group wandering.
//
// Measured: snapshot age, from the tick's wall-clock time (carried by every
// snapshot) to the datagram's arrival, which assumes the bots share the
// realm's clock (same machine, or synchronized clocks); input→echo, from
// an input that turns the bot by 90° or more (or starts it walking) to the
// first snapshot in which its own entity moves the new way; downstream
// bytes per bot; snapshot datagrams over their player's budget; why bots
// failed to connect or were disconnected; and a timeline per second.
package swarm
