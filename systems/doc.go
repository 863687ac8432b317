// Package systems holds the gameplay systems, one file each: input (intents
// to motion), bots (simulated players), AI (NPC brains and paths), movement,
// combat, regen, spawn and despawn, interest (each entity's interest cell),
// proximity and replication (per-cell change records). Rules holds their
// numbers; components.go their components. Systems see only package ecs
// and ecs/spatial; they never touch the network or the database: saving
// players (the persistence phase) is the zone node's checkpoint system, in
// world/zone, which owns the db link.
package systems
