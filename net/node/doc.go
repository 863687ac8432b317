// Package node is the runtime every GridRealm process is built on: a Node
// has a config, a Start and a Stop, listens and dials over TCP, and talks to
// its peers with one-way messages.
//
// Threads (DESIGN.md §1, "three queues per node"): per connection a reader
// goroutine decodes frames into the node's inbox and a writer goroutine
// drains that peer's outbox; one main loop (Handler, or the owner calling
// Poll from its own loop) takes messages from the inbox. The main loop never
// touches a socket: Send only appends to a bounded outbox.
//
// Links. A connection starts with a handshake in which each side proves it
// knows the cluster secret (HMAC-SHA256 over the other side's fresh nonce);
// a wrong secret is refused and logged. Heartbeats detect a dead peer.
//
// Reliable queue. Messages carry a per-link, per-priority sequence number.
// The receiver acknowledges what its main loop has processed; the sender
// keeps every unacknowledged message and resends it after a reconnect, and
// the receiver drops what it already processed. Delivery is exactly once and
// in order within a priority across dropped connections and across a
// graceful Stop and restart of either side (Stop processes what it has
// received and acknowledges it before it closes; a node without a Handler
// acknowledges only what its owner polled, and the rest comes again to its
// next incarnation). After a crash of the
// receiver, messages it processed but had not yet acknowledged are delivered
// again: at least once, never lost. Priorities (Control > Gameplay > Bulk)
// are sent highest first, and heartbeats and acks go before all of them.
//
// Volatile messages (Out.Volatile: per-tick state, subscriptions, load
// reports, and every reply) are meaningful only to the incarnation of the
// peer they were sent to: when the peer turns out to have restarted, the
// ones it did not acknowledge are dropped, not replayed (the rest of the
// stream is numbered again after what it acknowledged), and the owner of
// that state sends the new incarnation fresh state.
//
// The main loop takes control messages and link events before the rest:
// an answer never waits behind a backlog of gameplay state.
//
// History. Messages sent with History set (chat, system messages) are kept
// for Config.HistoryWindow and resent, marked Replayed, to a peer that asks
// with RequestHistory (or automatically, with Config.HistoryOnConnect).
//
// Every node serves an admin HTTP endpoint with /healthz, Prometheus
// /metrics and /debug/pprof (the last, like actions and live views, only
// with the realm's admin token).
//
// Main types: Node, Config, Message, Out, Handler.
package node
