// Package reviver is the reviver: it keeps a realm's nodes running.
//
//	owns      the procedures that keep nodes running: restarts, backoff,
//	          restart cycles
//	limited by little
//	talks to  every node (its /healthz), and the operating system (processes)
//
// A Reviver starts every node of a registry that has a restart command,
// watches each one (its process's exit, and its /healthz answering), and
// restarts a node that dies or stops answering with the registry's restart
// command, after a backoff that doubles while the node keeps dying. A node
// that dies CycleLimit times within CycleWindow is in a restart cycle: the
// reviver gives up on it, says so (log, metric, /events), and leaves the
// rest of the realm running. Every event — a crash seen, a restart, giving
// up, a node healthy again — is logged, counted in
// gridrealm_reviver_events_total{node,role,event} and kept in /events.
//
// With a State directory two revivers share the work: one holds the lease
// (lease.go) and acts, the other stands by and takes over when the holder
// stops renewing it, adopting the nodes where they run (the nodes run
// detached, their pids in State). `realm up` runs two such revivers, each
// a `realm reviver` process.
//
// Main types: [Reviver] (Start, Stop, Events, Active), [Config], [Event],
// [Lease].
package reviver
