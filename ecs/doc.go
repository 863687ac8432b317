// Package ecs is the engine core over the arche entity-component-system
// (github.com/mlange-42/arche): arche has entities, components and queries;
// this package adds what a game server needs around them.
//
//   - World holds the arche world, the game clock (Time), the seeded random
//     generator every system must use, and typed resources (AddResource,
//     Resource).
//   - Schedule is the fixed pipeline of named systems, in phases that run in
//     the order input → simulation → spatial → replication → persistence →
//     publish, each system timed.
//   - Loop runs a schedule at a fixed tick (default 20 Hz) on an injected
//     Clock. An overrun is never hidden: the game clock slows down (time
//     dilation) rather than skipping systems or bursting catch-up ticks.
//
// Package ecs/spatial holds the terrain and the interest grid. This package
// imports no game code.
package ecs
