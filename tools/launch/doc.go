// Package launch makes the registry of a realm on one machine, what `realm
// up` runs under a reviver (tools/reviver): the dev registry (node ids,
// loopback ports from a base, restart commands, a fresh cluster secret),
// bringing an older one up to date, the dev accounts bots log in as, and
// how a node is described to the operator.
package launch
