// Package kinds numbers the message kinds carried in node envelopes, in
// one place so that no two subsystems pick the same number. Each kind's
// payload is one FlatBuffers message of net/schema; its receiver switches
// on the kind, then on the message's union.
package kinds

// Message kinds. Never reuse or renumber one: add at the end.
const (
	_ uint16 = iota
	// Db carries a wire.DbMessage (db.fbs): requests to the db node, its
	// replies, and backup streams.
	Db
	// CellDelta carries one wire.CellDelta from a zone to a gateway.
	CellDelta
	// Realm carries a wire.RealmMessage (realm.fbs) to or from a realm node.
	Realm
)
