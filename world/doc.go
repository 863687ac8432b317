// Package world is the zone runtime: a Zone is one ECS world at a fixed
// tick with its terrain (maps generated or loaded from a file), its
// interest cells and the schedule of systems; instances are copies of an
// InstanceTemplate with a player cap; the Publisher encodes each changed
// cell once per tick for every gateway that watches it. A Zone runs with
// no network at all (see ExampleNewZone): the node roles that wrap it live
// in the folders below.
//
// The roles a player passes through live here, one package each, named
// for the role (ARCHITECTURE.md has the whole table):
//
//   - world/login: the login node (passwords, sessions, the realm list);
//   - world/realm: the realm node (the realm's directory);
//   - world/gateway: the gateway node (players' QUIC connections, their
//     views, deltas and budgets);
//   - world/zone: the zone or instance node (a Zone served over links).
//
// Main types: Zone, ZoneConfig, InstanceTemplate, Publisher.
package world
