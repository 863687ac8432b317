// Package agones tells an Agones game-server orchestrator how a zone or
// instance node is doing, through the SDK sidecar's local REST API (the Go
// SDK module is not a dependency: its calls are five small HTTP requests).
//
// Lifecycle is the interface the node uses: Ready once its map is loaded,
// Health while its tick loop runs, Shutdown when it drains, SetLabel to
// publish what it serves, Allocate for a pool node that takes a copy on
// its own. SDK talks to the sidecar at localhost:AGONES_SDK_HTTP_PORT;
// None does nothing, for a realm that runs without Agones (`realm up`).
// FromEnv picks one by the environment Agones sets.
package agones
