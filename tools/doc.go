// Package tools gathers the helpers that run beside a realm: the layering
// check (tools/layercheck), and later the bot swarm, the reviver and the
// benchmark drivers.
package tools
