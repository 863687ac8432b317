// Package persist is the db node's side of the realm: the Badger store of
// the permanent game state, backups and their verification, integrity checks
// and recovery. It knows nothing of zones or systems.
package persist
