// Package realm is the realm node, the realm's directory: which sessions
// the login nodes opened, which gateway holds which player, and which zone
// holds which character.
//
//	owns      the realm's directory (sessions, players' gateways and zones)
//	limited by little
//	talks to  every node of its realm: login, gateways, zones, db (TCP)
//
// A gateway presents a player's session handle (RealmConnect). The realm
// checks it (known, not expired on the realm's clock, not used: a handle
// connects once; a resume token is good until ResumeTTL after its first
// use or after its character is placed again, since a client whose
// Welcome never came presents the token it has again), finds the account's character (creating the account's
// default character, named after the account, the first time), and asks
// the character's zone to bring it in: the zone claims it in the db with a
// new epoch and loads it. The answer tells the gateway the zone, its
// address, and where the character stands; a zone's refusal (a full
// instance, a character it cannot load) is passed on with its reason.
//
// Main types: [Node] (Start, Stop, Directory), [Config], [Placement].
package realm
