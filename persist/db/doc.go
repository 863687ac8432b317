// Package db is the db node: the game's permanent state (persist/store,
// Badger, RAM first) served over node links.
//
//	owns      the permanent game state: accounts' characters and items
//	limited by memory and disk
//	talks to  zones, the realm node, the backup node (TCP)
//
// Each request is one operation in one transaction, applied by a pool of
// workers so that concurrent callers commit together (Badger batches the
// commits of concurrent transactions) while the node's main loop only
// decodes and queues; each reply is sent once its transaction committed.
// Writes are acknowledged before the disk sync, which runs every
// store.Config.SyncInterval. Backups stream to the backup node on request.
//
// At start, after an unclean stop, the store is checked before the node
// serves: repaired if it can be (the first rungs of the recovery ladder),
// else replaced by the newest verified backup (the last rung).
//
// Main types: [Node] (Start, Stop, Store), [Config].
package db
