package kinds

// Message kinds. Never reuse or renumber one: add at the end.
const (
	_ uint16 = iota
	// Db carries a wire.DbMessage (db.fbs): requests to the db node, its
	// replies, and backup streams.
	Db
	// Realm carries a wire.RealmMessage (realm.fbs) to or from a realm node.
	Realm
	// Zone carries a wire.ZoneMessage (zone.fbs) to or from a zone node:
	// subscriptions, players entering, inputs, and each tick's cells.
	Zone
	// Gateway carries a wire.GatewayMessage (gateway.fbs): a gateway's load,
	// to its siblings and to realm nodes.
	Gateway
)
