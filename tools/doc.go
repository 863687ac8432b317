// Package tools gathers what runs beside a realm, one package each: the
// layering and function-length checks that make lint (tools/layercheck,
// tools/funclen), the launcher behind `realm up` (tools/launch), the bot
// swarm (tools/swarm), the zone and db benchmark drivers (tools/zonebench,
// tools/dbbench) and the end-to-end tests that start real nodes
// (tools/integration). The reviver, which will restart what crashes, is to
// come (ARCHITECTURE.md, "Crash handling").
package tools
