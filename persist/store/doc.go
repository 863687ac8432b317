// Package store is the permanent game state on Badger (dgraph-io/badger),
// RAM first: writes are acknowledged once Badger committed them to its
// memory tables and write-ahead log, without waiting for fsync, and a sync
// runs on an interval (the lag a crash of the machine, not of the process,
// can cost).
//
// Every mutation is one operation in one transaction: grant, transfer and
// destroy an item, save a character's checkpoint, claim a character for a
// zone. A transfer only sets the item's owner, and only when the owner is
// the one the caller expects; writes on a character carry the epoch of the
// zone that claimed it (fencing). Invariant: every item has exactly one
// existing owner; items appear only by Grant and disappear only by Destroy,
// which leaves a tombstone record (never a deleted key, which a backup
// could miss).
//
// Check verifies the store (records decode, owners exist, the owner index
// agrees with the records) and repairs what it can (the recovery ladder:
// correct, else delete the record, logging it, else restore from backup).
// WriteBackup writes a backup of one snapshot in Badger's backup format
// with the digest of that snapshot's live state; Restore loads a chain.
//
// Main types: Store, Config, Character, Item, Report.
package store
