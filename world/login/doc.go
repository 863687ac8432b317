// Package login is the login node: players connect over QUIC, prove who
// they are with a password, and receive a session handle, which the login
// node hands to the realm node of the realm they asked for.
//
//	owns      password checks, session handles, the realm list
//	limited by CPU (password hashing)
//	talks to  players (QUIC), its account store, realm nodes (TCP)
//
// Passwords are checked with argon2id (at least OWASP's m = 19 MiB, t = 2,
// p = 1; every parameter bounded by [Params.Validate]) on a bounded pool of
// workers: a flood of logins waits in a short queue or is told Busy, and
// cannot starve the node. Attempts are rate limited per address. A failed
// login never says whether the account exists: an unknown account costs
// the same hash as a wrong password and gets the same answer. A session
// handle is 256 random bits, expires, and the realm node lets it connect
// one gateway connection once.
//
// Accounts live in the login node's own store (persist/store, apart from
// the game state). DESIGN's login db node, shared by two login nodes, is
// still to come.
//
// Main types: [Node] (Start, Stop, CreateAccount), [Config], [Realm],
// [Params].
package login
