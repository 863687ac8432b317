// Package ecs is the engine core over the arche entity-component-system: a
// World holding the arche world and typed resources, named systems ordered in
// the phases of a tick, and the fixed-tick loop. It imports no game code.
package ecs
