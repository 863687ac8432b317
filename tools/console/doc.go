// Package console is the realm console: a web page for operators, served
// by the reviver that holds the lease on its admin address (/console/).
// Plain files embedded in the binary (no CDN); the page asks for the
// realm's admin token and sends it with every call.
//
// It shows every node of the registry (role, host, health, uptime,
// restarts) and the reviver's recent events; per realm its players, its
// gateways (players, bandwidth, corrections, disconnects by reason) and
// its zones (tick p99, dilation, entities, players), from the nodes'
// /healthz and /metrics; a live map of a zone (its terrain, entities,
// portals and cells, from the zone's /zone/view stream); plots of tick
// time, players and bandwidth over the last minutes; and the operator's
// actions: a system message to a realm, a kick with a reason, a scheduled
// restart with its countdown, and its cancellation.
//
// Main types: Config, Handler.
package console
