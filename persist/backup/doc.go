// Package backup is the backup node and the tools around its files.
//
//	owns      versioned, verified backups of the db
//	limited by disk
//	talks to  the db node (TCP)
//
// The backup node asks the db node for a backup every interval: a full one
// every FullEvery (and whenever the chain cannot continue), an incremental
// one since the previous backup's version otherwise. Each backup is a file
// in Badger's backup format, listed in manifest.json with its SHA-256, the
// version it holds, and the digest of the db's live state at that version.
// Every backup is verified as soon as it is written: its chain (the full
// backup and the incrementals up to it) is restored into a scratch
// in-memory Badger, which must pass the integrity check (records decode,
// every item has one existing owner, indexes agree) and have the db's
// digest. The newest Keep chains are kept.
//
// [LoadManifest], [VerifyAll] and [Restore] work on a backup directory offline
// (realm backup list|verify|restore); [RestoreOver] is the db node's last
// rung of recovery.
//
// Main types: [Node], [Config], [Manifest], [Entry].
package backup
