package codec

import (
	"github.com/gridrealm/gridrealm/net/fbcheck"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Size limits of the envelopes, checked before anything else is read.
const (
	// MaxDatagram is the largest snapshot or input datagram accepted.
	MaxDatagram = 64 << 10
	// MaxInput is the largest input datagram accepted.
	MaxInput = 256
	// MaxPlayerMessage is the largest reliable player message accepted.
	MaxPlayerMessage = 64 << 10
	// MaxEntities bounds each entity vector of a snapshot or cell delta.
	MaxEntities = 1 << 16
	// MaxPayload bounds an RPC payload; frames are capped by net/frame too.
	MaxPayload = 16 << 20
	// MaxName bounds node ids, roles, realms, account and character names.
	MaxName = 128
	// MaxGatewayPlayers bounds the players one gateway reports at once.
	MaxGatewayPlayers = 100000
	// MaxRealms bounds the realms of a RealmList.
	MaxRealms = 256
	// MaxHash bounds a stored password hash (the store's own bound).
	MaxHash = 1024
	// MaxText bounds chat and system message text.
	MaxText = 1024
	// NonceSize is the length of a hello nonce and of a hello proof.
	NonceSize = 32
	// SessionHandleSize is the length of a session handle.
	SessionHandleSize = 32
	// MaxPriorities bounds the per-priority vectors of a link.
	MaxPriorities = 8
	// MaxTicket bounds a line ticket (LoginQueued.ticket, LoginRequest.ticket).
	MaxTicket = 64
	// MaxPartyCheck bounds the parties one RealmPartyCheck asks about (and
	// the parties its answer says have ended).
	MaxPartyCheck = 4096
	// MaxPartyMembers bounds the members one RealmPartyCheck reports (and
	// its answer tells of): about half of a link's frame.
	MaxPartyMembers = 8192
)

// Record sizes on the wire.
const (
	sizeMove  = 8
	sizeState = 8
	sizeSpawn = 16

	sizeCellStep  = 4
	sizeCellMove  = 6
	sizeCellState = 6
	sizeCellEnter = 20

	sizeDbItem = 24

	sizeZoneInput    = 32
	sizeZonePlayerAt = 12

	sizeRealmParty = 16
)

func scalar(name string, slot uint16, size int) fbcheck.Field {
	return fbcheck.Field{Name: name, Slot: slot, Kind: fbcheck.Scalar, Size: size}
}

func str(name string, slot uint16, max int) fbcheck.Field {
	return fbcheck.Field{Name: name, Slot: slot, Kind: fbcheck.String, Max: max}
}

func vec(name string, slot uint16, size, max int) fbcheck.Field {
	return fbcheck.Field{Name: name, Slot: slot, Kind: fbcheck.Vector, Size: size, Max: max}
}

func union(name string, slot uint16, members ...*fbcheck.Schema) fbcheck.Field {
	return fbcheck.Field{Name: name, Slot: slot, Kind: fbcheck.Union, Members: append([]*fbcheck.Schema{nil}, members...)}
}

func entityFields(first uint16) []fbcheck.Field {
	return []fbcheck.Field{
		vec("Moves", first, sizeMove, MaxEntities),
		vec("States", first+2, sizeState, MaxEntities),
		vec("Enters", first+4, sizeSpawn, MaxEntities),
		vec("Leaves", first+6, 4, MaxEntities),
	}
}

// schemas holds the description of every table, built once per process by
// newSchemas; the tables are immutable after that.
type schemas struct {
	cellDelta, snapshot, input, clientMessage, serverMessage, nodeFrame, dbMessage, realmMessage, zoneMessage, gatewayMessage *fbcheck.Schema
	all                                                                                                                       []*fbcheck.Schema
}

var schema = newSchemas()

func newSchemas() *schemas {
	s := &schemas{}
	table := func(name string, fields ...fbcheck.Field) *fbcheck.Schema {
		t := &fbcheck.Schema{Name: name, Fields: fields}
		s.all = append(s.all, t)
		return t
	}
	s.cellDelta = table("CellDelta",
		scalar("Cx", 4, 2), scalar("Cy", 6, 2), scalar("Tick", 8, 4), scalar("CellSize", 10, 2), scalar("Full", 12, 1),
		vec("Steps", 14, sizeCellStep, MaxEntities), vec("Moves", 16, sizeCellMove, MaxEntities),
		vec("States", 18, sizeCellState, MaxEntities), vec("Enters", 20, sizeCellEnter, MaxEntities),
		vec("Leaves", 22, 2, MaxEntities))
	s.snapshot = table("Snapshot", append([]fbcheck.Field{
		scalar("Seq", 4, 4), scalar("Baseline", 6, 4), scalar("Tick", 8, 4),
		scalar("OriginX", 10, 4), scalar("OriginY", 12, 4), scalar("TickUnixMs", 14, 8),
	}, append(entityFields(16), scalar("Self", 24, 4))...)...)
	s.input = table("Input",
		scalar("Seq", 4, 4), scalar("Ack", 6, 4), scalar("ClientTimeMs", 8, 4),
		scalar("X", 10, 4), scalar("Y", 12, 4), scalar("Heading", 14, 1),
		scalar("MoveX", 16, 1), scalar("MoveY", 18, 1), scalar("Actions", 20, 2))

	s.clientMessage = table("ClientMessage", union("Body", 4,
		table("LoginRequest", str("Account", 4, MaxName), str("Password", 6, 256), str("Realm", 8, MaxName), scalar("ClientVersion", 10, 4),
			vec("Ticket", 12, 1, MaxTicket)),
		table("Connect", vec("SessionHandle", 4, 1, SessionHandleSize), scalar("CharacterId", 6, 8), scalar("Redirects", 8, 1),
			scalar("Resume", 10, 1), scalar("LastEvent", 12, 8), str("Realm", 14, MaxName)),
		table("ChatSend", scalar("Channel", 4, 1), str("To", 6, MaxName), str("Text", 8, MaxText)),
		table("Logout"),
		table("RegisterRequest", str("Account", 4, MaxName), str("Password", 6, 256), scalar("ClientVersion", 8, 4)),
		table("RealmListRequest"),
		table("ItemUse", scalar("Item", 4, 8)),
		table("ItemDrop", scalar("Item", 4, 8)),
		table("TradeOffer", str("To", 4, MaxName), vec("Give", 6, 8, MaxTradeItems), vec("Want", 8, 8, MaxTradeItems)),
		table("TradeAnswer", scalar("Trade", 4, 8), scalar("Accept", 6, 1)),
		table("WhoIs", vec("Ids", 4, 4, MaxWhoIs)),
	))
	s.serverMessage = table("ServerMessage", union("Body", 4,
		table("LoginResult", scalar("Status", 4, 1), vec("SessionHandle", 6, 1, SessionHandleSize), scalar("ExpiresUnixMs", 8, 8),
			fbcheck.Field{Name: "Gateways", Slot: 10, Kind: fbcheck.StringVector, Max: 64, MaxStr: MaxName}, str("Message", 12, MaxText),
			scalar("RetryAfterMs", 14, 4)),
		table("Redirect", str("Address", 4, MaxName), str("Reason", 6, MaxText)),
		table("Welcome", scalar("EntityId", 4, 4), str("Zone", 6, MaxName), scalar("TickHz", 8, 1), scalar("CellSize", 10, 2),
			scalar("SnapshotBudget", 12, 2), scalar("X", 14, 4), scalar("Y", 16, 4), vec("ResumeToken", 18, 1, SessionHandleSize),
			str("ZoneName", 20, MaxName)),
		table("Chat", scalar("Channel", 4, 1), str("From", 6, MaxName), str("Text", 8, MaxText), scalar("Seq", 10, 8)),
		table("Spawn", scalar("Id", 4, 4), scalar("Kind", 6, 1), scalar("Template", 8, 2), str("Name", 10, MaxName)),
		table("Despawn", scalar("Id", 4, 4)),
		table("Damage", scalar("Source", 4, 4), scalar("Target", 6, 4), scalar("Amount", 8, 4), scalar("School", 10, 1), scalar("Critical", 12, 1)),
		table("Loot", scalar("ItemId", 4, 8), scalar("Template", 6, 4), scalar("Count", 8, 4)),
		table("SystemMessage", scalar("Code", 4, 2), str("Text", 6, MaxText), scalar("Seq", 8, 8)),
		table("Correction", scalar("X", 4, 4), scalar("Y", 6, 4), scalar("InputSeq", 8, 4)),
		table("Disconnect", scalar("Reason", 4, 1), str("Text", 6, MaxText)),
		table("RealmList", fbcheck.Field{Name: "Realms", Slot: 4, Kind: fbcheck.TableVector, Max: MaxRealms,
			Table: table("RealmInfo", str("Name", 4, MaxName), scalar("Players", 6, 4), scalar("State", 8, 1))}),
		table("Inventory", vec("Items", 4, sizeInventoryItem, MaxInventory)),
		table("TradeOffered", scalar("Trade", 4, 8), str("From", 6, MaxName), vec("Give", 8, sizeInventoryItem, MaxTradeItems),
			vec("Want", 10, sizeInventoryItem, MaxTradeItems), scalar("ExpiresMs", 12, 4)),
		table("TradeResult", scalar("Trade", 4, 8), scalar("Status", 6, 1), str("Text", 8, MaxText)),
		table("LoginQueued", scalar("Position", 4, 4), scalar("EstimatedWaitMs", 6, 4), scalar("RealmFull", 8, 1), vec("Ticket", 10, 1, MaxTicket)),
		table("Party", fbcheck.Field{Name: "Members", Slot: 4, Kind: fbcheck.TableVector, Max: MaxParty,
			Table: table("PartyMember", scalar("Id", 4, 4), str("Name", 6, MaxName))}, scalar("Seq", 6, 8),
			fbcheck.Field{Name: "Elsewhere", Slot: 8, Kind: fbcheck.TableVector, Max: MaxParty,
				Table: table("PartyMemberElsewhere", str("Name", 4, MaxName), str("Zone", 6, MaxName), scalar("Leads", 8, 1),
					str("ZoneName", 10, MaxName))}),
		table("Names", fbcheck.Field{Name: "Entities", Slot: 4, Kind: fbcheck.TableVector, Max: MaxWhoIs,
			Table: table("Spawn", scalar("Id", 4, 4), scalar("Kind", 6, 1), scalar("Template", 8, 2), str("Name", 10, MaxName))}),
	))
	s.nodeFrame = table("NodeFrame", union("Body", 4,
		table("Hello", str("NodeId", 4, MaxName), str("Role", 6, MaxName), str("Realm", 8, MaxName),
			scalar("Incarnation", 10, 8), vec("Nonce", 12, 1, NonceSize), scalar("Protocol", 14, 2)),
		table("HelloProof", vec("Mac", 4, 1, NonceSize), vec("StreamBase", 6, 8, MaxPriorities), vec("Delivered", 8, 8, MaxPriorities)),
		table("Heartbeat", scalar("SentUnixNs", 4, 8)),
		table("Envelope", scalar("Kind", 4, 2), scalar("Correlation", 6, 8), scalar("Priority", 8, 1),
			scalar("History", 10, 1), scalar("Reply", 12, 1), scalar("Replayed", 14, 1),
			scalar("Seq", 16, 8), scalar("SentUnixMs", 18, 8), vec("Payload", 20, 1, MaxPayload)),
		table("Ack", vec("Delivered", 4, 8, MaxPriorities)),
		table("HistoryRequest", scalar("WindowMs", 4, 4)),
		table("Bye", str("Reason", 4, MaxText)),
	))
	cell := table("ZoneCell", vec("Delta", 4, 1, MaxPayload))
	event := table("ZonePlayerEvent", scalar("Character", 4, 8), vec("Message", 6, 1, MaxPlayerMessage), scalar("PartyLeader", 8, 8), scalar("PartyJoined", 10, 8))
	s.zoneMessage = table("ZoneMessage", union("Body", 4,
		table("ZoneSubscribe", vec("Cells", 4, 4, MaxEntities)),
		table("ZoneUnsubscribe", vec("Cells", 4, 4, MaxEntities)),
		table("ZoneEnterPlayer", scalar("Character", 4, 8), str("Gateway", 6, MaxName), scalar("PartyLeader", 8, 8), scalar("PartyJoined", 10, 8),
			scalar("Login", 12, 1)),
		table("ZonePlayerEntered", scalar("Character", 4, 8), scalar("NetId", 6, 4), scalar("X", 8, 4), scalar("Y", 10, 4),
			scalar("Epoch", 12, 8), scalar("MapSeed", 14, 8), scalar("MapWidth", 16, 4), scalar("MapHeight", 18, 4),
			scalar("CellSize", 20, 2), scalar("PlayerSpeed", 22, 4), scalar("TickHz", 24, 1),
			scalar("MapObstacles", 26, 4), scalar("MapTileSize", 28, 4), scalar("MapFile", 30, 1),
			scalar("ViewRadius", 32, 1), str("Refused", 34, MaxText), str("MovedTo", 36, MaxName), str("MovedToAddr", 38, MaxName),
			scalar("MaxVisible", 40, 2), str("ZoneName", 42, MaxName)),
		table("ZoneLeavePlayer", scalar("Character", 4, 8)),
		table("ZoneInputs", vec("Inputs", 4, sizeZoneInput, MaxEntities)),
		table("ZoneTick", scalar("Tick", 4, 4), scalar("TickUnixMs", 6, 8),
			fbcheck.Field{Name: "Cells", Slot: 8, Kind: fbcheck.TableVector, Max: MaxEntities, Table: cell},
			vec("Players", 10, sizeZonePlayerAt, MaxEntities),
			fbcheck.Field{Name: "Events", Slot: 12, Kind: fbcheck.TableVector, Max: MaxEntities, Table: event}),
		table("ZoneChat", scalar("Character", 4, 8), scalar("Channel", 6, 1), str("To", 8, MaxName), str("Text", 10, MaxText)),
		table("ZoneReplayEvents", scalar("Character", 4, 8), scalar("Since", 6, 8)),
	))
	entered := s.zoneMessage.Fields[0].Members[wire.ZoneBodyZonePlayerEntered]
	s.zoneMessage.Fields[0].Members = append(s.zoneMessage.Fields[0].Members,
		table("ZoneHandedOff", scalar("Character", 4, 8), str("Zone", 6, MaxName), str("ZoneAddr", 8, MaxName),
			fbcheck.Field{Name: "Entered", Slot: 10, Kind: fbcheck.SubTable, Table: entered}),
		table("ZoneLoadInstance", str("Template", 4, MaxName), scalar("Seed", 6, 8), str("Db", 8, MaxName), str("DbAddr", 10, MaxName),
			str("ExitZone", 12, MaxName), str("ExitAddr", 14, MaxName), scalar("ExitX", 16, 4), scalar("ExitY", 18, 4)),
		table("ZoneInstanceLoaded", scalar("EntryX", 4, 4), scalar("EntryY", 6, 4), str("Refused", 8, MaxText)),
		table("ZonePlayerRequest", scalar("Character", 4, 8), vec("Message", 6, 1, MaxPlayerMessage)),
		table("ZoneEventsReplayed", fbcheck.Field{Name: "Events", Slot: 4, Kind: fbcheck.TableVector, Max: MaxEntities, Table: event}),
		table("ZonePartiesChanged", vec("Leaders", 4, 8, MaxPartyCheck)))
	partyMember := table("RealmPartyMember", scalar("Leader", 4, 8), scalar("Character", 6, 8), scalar("JoinedUnixUs", 8, 8),
		str("Name", 10, MaxName), str("Zone", 12, MaxName), str("ZoneName", 14, MaxName))
	s.realmMessage = table("RealmMessage", union("Body", 4,
		table("SessionCreated", vec("Handle", 4, 1, SessionHandleSize), str("Account", 6, MaxName), scalar("ExpiresUnixMs", 8, 8), str("Address", 10, MaxName),
			scalar("WaitingSinceUnixMs", 12, 8)),
		table("RealmConnect", vec("Handle", 4, 1, SessionHandleSize)),
		table("RealmConnected", scalar("Status", 4, 1), str("Message", 6, MaxText), str("Account", 8, MaxName), str("Zone", 10, MaxName),
			str("ZoneAddr", 12, MaxName), fbcheck.Field{Name: "Entered", Slot: 14, Kind: fbcheck.SubTable, Table: entered},
			vec("ResumeToken", 16, 1, SessionHandleSize)),
		table("RealmPlayerLeft", scalar("Character", 4, 8), scalar("Revoke", 6, 1)),
		table("RealmGatewayPlayers", fbcheck.Field{Name: "Players", Slot: 4, Kind: fbcheck.TableVector, Max: MaxGatewayPlayers,
			Table: table("RealmPlayerAt", scalar("Character", 4, 8), str("Account", 6, MaxName), str("Zone", 8, MaxName),
				vec("ResumeToken", 10, 1, SessionHandleSize))}),
		table("RealmPlayerMoved", scalar("Character", 4, 8), str("Zone", 6, MaxName)),
		table("RealmInstanceRequest", str("Template", 4, MaxName), scalar("Players", 6, 1)),
		table("RealmInstanceGranted", str("Node", 4, MaxName), str("Addr", 6, MaxName), scalar("EntryX", 8, 4), scalar("EntryY", 10, 4),
			str("Reason", 12, MaxText)),
		table("RealmPoolIdle", str("Released", 4, MaxName)),
		table("RealmPopulationRequest"),
		table("RealmPopulation", scalar("Players", 4, 4)),
		table("RealmSessionAssigned", str("Gateway", 4, MaxName), scalar("Full", 6, 1), scalar("RetryAfterMs", 8, 4)),
		table("RealmPartyCheck", vec("Parties", 4, sizeRealmParty, MaxPartyCheck),
			fbcheck.Field{Name: "Members", Slot: 6, Kind: fbcheck.TableVector, Max: MaxPartyMembers, Table: partyMember},
			str("ZoneName", 8, MaxName)),
		table("RealmPartyAnswer", vec("Ended", 4, sizeRealmParty, MaxPartyCheck),
			fbcheck.Field{Name: "Elsewhere", Slot: 6, Kind: fbcheck.TableVector, Max: MaxPartyMembers, Table: partyMember}, scalar("Settling", 8, 1)),
	))
	s.gatewayMessage = table("GatewayMessage", union("Body", 4,
		table("GatewayLoad", scalar("Players", 4, 4), str("Public", 6, MaxName), scalar("Full", 8, 1), scalar("Room", 10, 4)),
	))
	character := table("DbCharacter", scalar("Id", 4, 8), str("Account", 6, MaxName), str("Name", 8, MaxName), str("Zone", 10, MaxName),
		scalar("X", 12, 4), scalar("Y", 14, 4), scalar("Level", 16, 2), scalar("Health", 18, 4), scalar("Epoch", 20, 8),
		scalar("PartyLeader", 22, 8), scalar("PartyJoined", 24, 8))
	account := table("DbAccount", str("Name", 4, MaxName), str("Hash", 6, MaxHash), scalar("CreatedUnixMs", 8, 8))
	s.dbMessage = table("DbMessage", union("Body", 4,
		table("DbRequest", union("Op", 4,
			table("DbCreateCharacter", str("Account", 4, MaxName), str("Name", 6, MaxName), str("Zone", 8, MaxName), scalar("X", 10, 4), scalar("Y", 12, 4)),
			table("DbLoadCharacter", scalar("Id", 4, 8)),
			table("DbClaimCharacter", scalar("Id", 4, 8), str("Zone", 6, MaxName)),
			table("DbSaveCheckpoint", scalar("Id", 4, 8), scalar("Epoch", 6, 8), str("Zone", 8, MaxName), scalar("X", 10, 4), scalar("Y", 12, 4),
				scalar("Level", 14, 2), scalar("Health", 16, 4), scalar("PartyLeader", 18, 8), scalar("PartyJoined", 20, 8)),
			table("DbGrantItem", scalar("Owner", 4, 8), scalar("Epoch", 6, 8), scalar("Template", 8, 4), scalar("Count", 10, 4)),
			table("DbTransferItem", scalar("Item", 4, 8), scalar("From", 6, 8), scalar("To", 8, 8), scalar("FromEpoch", 10, 8)),
			table("DbDestroyItem", scalar("Item", 4, 8), scalar("Owner", 6, 8), scalar("Epoch", 8, 8)),
			table("DbGetItem", scalar("Id", 4, 8)),
			table("DbListItems", scalar("Owner", 4, 8)),
			table("DbBackup", scalar("Since", 4, 8)),
			table("DbFindCharacter", str("Name", 4, MaxName)),
			table("DbCreateAccount", str("Name", 4, MaxName), str("Hash", 6, MaxHash)),
			table("DbGetAccount", str("Name", 4, MaxName)),
			table("DbTradeItems", scalar("A", 4, 8), scalar("AEpoch", 6, 8), vec("AItems", 8, 8, MaxTradeItems),
				scalar("B", 10, 8), scalar("BEpoch", 12, 8), vec("BItems", 14, 8, MaxTradeItems)),
		), scalar("ExpiresUnixMs", 8, 8)),
		table("DbReply", scalar("Status", 4, 1), str("Message", 6, MaxText),
			fbcheck.Field{Name: "Character", Slot: 8, Kind: fbcheck.SubTable, Table: character},
			vec("Items", 10, sizeDbItem, MaxEntities), scalar("Epoch", 12, 8),
			fbcheck.Field{Name: "Account", Slot: 14, Kind: fbcheck.SubTable, Table: account}),
		table("DbBackupChunk", vec("Data", 4, 1, MaxPayload)),
		table("DbBackupDone", scalar("Status", 4, 1), str("Message", 6, MaxText), scalar("Version", 8, 8), scalar("Since", 10, 8),
			vec("Sha256", 12, 1, 32), vec("Digest", 14, 1, 32), scalar("Bytes", 16, 8)),
	))
	return s
}
