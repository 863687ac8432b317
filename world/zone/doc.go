// Package zone runs a zone or an instance as a node of the realm: a
// [world.Zone] served over node links.
//
//	owns      one ECS world at a fixed tick and every entity in it
//	limited by one core (the tick is single-threaded)
//	talks to  gateways, the realm node, the db (TCP)
//
// The zone's tick loop is the node's main loop: at the start of every tick
// (the input phase) it polls the node's inbox (gateway subscriptions,
// players entering and leaving, forwarded inputs, db answers), so that all
// game logic stays on one goroutine; after the publish phase it sends each
// gateway one ZoneTick with the cells it watches (each encoded once for
// all gateways). A stopped zone acknowledges only what it polled: the rest
// reaches its next incarnation.
//
// A character enters on ZoneEnterPlayer: the zone loads it (the only read)
// and claims it in the db (a new epoch, which fences off any zone that
// held it before), then keeps it in RAM. Enters of one character in flight
// at once are answered together with one entity; an enter that fails is
// answered with the reason and frees its place under an instance's cap.
// Every Checkpoint (on the injected clock) it saves the position and stats
// with that epoch; a checkpoint refused for a stale epoch means another
// zone claimed the character, and this zone lets go.
//
// Main types: [Node] (Start, Stop, Zone), [Config].
package zone
