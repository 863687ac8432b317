package codec

import (
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/wire"
)

// sampleCell returns cell changes with n records of each kind, every field
// set.
func sampleCell(n int) spatial.CellChanges {
	c := spatial.CellChanges{CX: 3, CY: 4, Tick: 99, CellSize: 32, Full: true}
	for i := 0; i < n; i++ {
		slot := uint16(i)
		c.Steps = append(c.Steps, spatial.Step{Slot: slot, DX: int8(i - 3), DY: int8(3 - i)})
		c.Moves = append(c.Moves, spatial.Move{Slot: slot + 100, X: uint16(i * 97), Y: uint16(i * 31)})
		c.States = append(c.States, spatial.State{Slot: slot, Heading: uint8(i), Health: 200, Anim: 1, Flags: 2})
		c.Enters = append(c.Enters, spatial.Enter{ID: uint32(1000 + i), Slot: slot + 200, Template: 7, X: 5, Y: 6,
			Kind: spatial.KindNPC, Heading: 64, Health: 255, Anim: 3, Flags: 4, Level: 12})
		c.Leaves = append(c.Leaves, slot+300)
	}
	return c
}

// sampleUpdates returns n of each record kind, with every field set.
func sampleUpdates(n int) Updates {
	var u Updates
	for i := 0; i < n; i++ {
		id := uint32(i + 1)
		u.Moves = append(u.Moves, Move{ID: id, X: uint16(i * 97), Y: uint16(i * 131)})
		u.States = append(u.States, State{ID: id, Heading: uint8(i), Health: 200, Anim: 3, Flags: 1})
		u.Enters = append(u.Enters, Spawn{ID: id + 1000, Template: 7, X: 10, Y: 20, Kind: wire.EntityKindNpc,
			Heading: 64, Health: 255, Anim: 1, Flags: 2, Level: 12})
		u.Leaves = append(u.Leaves, id+5000)
	}
	return u
}

// samples returns one valid encoding of every envelope and every union
// member, the fuzzers' seeds.
func samples() map[string][][]byte {
	out := map[string][][]byte{}
	add := func(kind string, b []byte) { out[kind] = append(out[kind], append([]byte(nil), b...)) }

	cd := sampleCell(3)
	add("CellDelta", NewCellDeltaEncoder().Encode(&cd))
	add("CellDelta", NewCellDeltaEncoder().Encode(&spatial.CellChanges{CX: 1, Tick: 1}))
	sn := Snapshot{Seq: 10, Baseline: 8, Tick: 99, OriginX: -100, OriginY: 200, TickUnixMs: 1700000000000, Updates: sampleUpdates(3)}
	add("Snapshot", NewSnapshotEncoder().Encode(&sn))

	p := NewPlayerEncoder()
	add("Input", p.Input(&Input{Seq: 5, Ack: 9, ClientTimeMs: 77, X: -300, Y: 400, Heading: 9, MoveX: -127, MoveY: 127, Actions: 3}))
	add("ClientMessage", p.LoginRequest("alice", "correct horse", "fortrax", 1, nil))
	add("ClientMessage", p.Connect(make([]byte, SessionHandleSize), 42, 1, true, 7, "fortrax"))
	add("ClientMessage", p.ChatSend(2, "bob", "hello"))
	add("ClientMessage", p.Logout())
	add("ClientMessage", p.RegisterRequest("alice", "correct horse", 1))
	add("ClientMessage", p.RealmListRequest())
	add("ClientMessage", p.ItemUse(77))
	add("ClientMessage", p.ItemDrop(78))
	add("ClientMessage", p.TradeOffer(&TradeOffer{To: "bob", Give: []uint64{1, 2}, Want: []uint64{3}}))
	add("ClientMessage", p.TradeAnswer(9, true))
	add("ClientMessage", p.WhoIs([]uint32{5, 7, 1 << 31}))
	add("ServerMessage", p.Inventory([]InventoryItem{{ID: 1, Template: 1001, Count: 3}, {ID: 2, Template: 2001, Count: 1}}))
	add("ServerMessage", p.TradeOffered(&TradeOffered{Trade: 9, From: "alice", Give: []InventoryItem{{ID: 1, Template: 1001, Count: 3}},
		Want: []InventoryItem{{ID: 3, Template: 1100, Count: 1}}, ExpiresMs: 30000}))
	add("ServerMessage", p.TradeResult(9, wire.TradeStatusDone, "done"))
	add("ServerMessage", p.LoginQueued(412, 38000, false, nil))
	add("ServerMessage", p.LoginQueued(3, 0, true, make([]byte, 33)))
	add("ServerMessage", p.Party([]PartyMember{{ID: 7, Name: "alice"}, {ID: 9, Name: "bob"}}, 11))
	add("ServerMessage", p.Party([]PartyMember{{ID: 7, Name: "alice"}}, 12, PartyElsewhere{Name: "ann", Zone: "ZONE-3", Leads: true}))
	add("ServerMessage", p.Names([]Named{{ID: 7, Kind: wire.EntityKindPlayer, Name: "alice"}, {ID: 12, Kind: wire.EntityKindNpc, Template: 3, Name: "Crypt Guard"}}))
	add("ServerMessage", p.RealmList([]RealmInfo{{Name: "fortrax", Players: 1200}, {Name: "dev", State: wire.RealmStateDown}}))
	add("RealmMessage", NewRealmEncoder().PopulationRequest())
	add("RealmMessage", NewRealmEncoder().Population(1200))
	add("RealmMessage", NewRealmEncoder().SessionAssigned("127.0.0.1:8106", false, 0))
	add("RealmMessage", NewRealmEncoder().SessionAssigned("", true, 10000))
	add("ServerMessage", p.LoginResult(&LoginResult{Status: wire.LoginStatusOk, SessionHandle: make([]byte, SessionHandleSize),
		ExpiresUnixMs: 1, Gateways: []string{"127.0.0.1:7001", "127.0.0.1:7002"}, Message: "welcome"}))
	add("ServerMessage", p.Redirect("127.0.0.1:7002", "less loaded"))
	add("ServerMessage", p.Welcome(&Welcome{EntityID: 5, Zone: "FORTRAX-ZONE-1", TickHz: 20, CellSize: 32, SnapshotBudget: 1200, X: 1, Y: 2, ResumeToken: make([]byte, SessionHandleSize),
		ZoneName: "Westfall Hills"}))
	add("ServerMessage", p.Chat(0, "bob", "hi", 9))
	add("ServerMessage", p.Spawn(5, wire.EntityKindPlayer, 3, "Alice"))
	add("ServerMessage", p.Despawn(5))
	add("ServerMessage", p.Damage(1, 2, 30, 1, true))
	add("ServerMessage", p.Loot(77, 3, 2))
	add("ServerMessage", p.SystemMessage(1, "restart in 5 minutes", 10))
	add("ServerMessage", p.Correction(100, 200, 12))
	add("ServerMessage", p.Disconnect(wire.DisconnectReasonShutdown, "bye"))

	n := NewNodeEncoder()
	add("NodeFrame", n.Hello(&Hello{NodeID: "FORTRAX-ZONE-1", Role: "zone", Realm: "fortrax", Incarnation: 7, Nonce: make([]byte, NonceSize), Protocol: 1}))
	add("NodeFrame", n.HelloProof(make([]byte, NonceSize), []uint64{1, 2, 3}, []uint64{4, 5, 6}))
	add("NodeFrame", n.Heartbeat(12345))
	add("NodeFrame", n.Envelope(&Envelope{Kind: 9, Correlation: 3, Priority: wire.PriorityBulk, History: true, Reply: true,
		Replayed: true, Seq: 11, SentUnixMs: 5, Payload: []byte("payload")}))
	add("NodeFrame", n.Ack([]uint64{1, 2, 3}))
	add("NodeFrame", n.HistoryRequest(600000))
	add("NodeFrame", n.Bye("stopping"))
	d := NewDbEncoder()
	for _, r := range []DbRequest{
		{Op: wire.DbOpDbCreateCharacter, Account: "alice", Name: "Alia", Zone: "Z1", X: 1, Y: 2, ExpiresUnixMs: 5},
		{Op: wire.DbOpDbLoadCharacter, ID: 1}, {Op: wire.DbOpDbClaimCharacter, ID: 1, Zone: "Z1"},
		{Op: wire.DbOpDbSaveCheckpoint, ID: 1, Epoch: 2, Zone: "Z1", X: 3, Y: 4, Level: 5, Health: 6, PartyLeader: 7, PartyJoined: 8},
		{Op: wire.DbOpDbGrantItem, Owner: 1, Epoch: 2, Template: 3, Count: 4},
		{Op: wire.DbOpDbTransferItem, Item: 9, From: 1, To: 2, Epoch: 3}, {Op: wire.DbOpDbDestroyItem, Item: 9, Owner: 1, Epoch: 2},
		{Op: wire.DbOpDbGetItem, ID: 9}, {Op: wire.DbOpDbListItems, Owner: 1}, {Op: wire.DbOpDbBackup, Since: 77},
		{Op: wire.DbOpDbTradeItems, From: 1, Epoch: 2, FromItems: []uint64{7, 8}, To: 3, ToEpoch: 4, ToItems: []uint64{9}},
	} {
		add("DbMessage", d.Request(&r))
	}
	add("DbMessage", d.Reply(&DbReply{Status: wire.DbStatusOwnerMismatch, Message: "no", Epoch: 3,
		Character: &DbCharacter{ID: 1, Account: "a", Name: "n", Zone: "z", X: 1, Y: 2, Level: 3, Health: 4, Epoch: 5, PartyLeader: 6, PartyJoined: 7},
		Items:     []DbItem{{ID: 1, Owner: 2, Template: 3, Count: 4}}}))
	add("DbMessage", d.BackupChunk([]byte("chunk")))
	z := NewZoneEncoder()
	add("ZoneMessage", z.Subscribe([]uint32{1, 2 << 16}))
	add("ZoneMessage", z.Unsubscribe([]uint32{3}))
	add("ZoneMessage", z.EnterPlayer(42, "GW-1", true))
	add("ZoneMessage", z.HandOffPlayer(43, "GW-1", 41, 1_700_000_000_000_000))
	add("ZoneMessage", z.LeavePlayer(42))
	add("ZoneMessage", z.PlayerEntered(&PlayerEntered{Character: 42, NetID: 7, X: 1, Y: 2, Epoch: 3, MapSeed: 4, MapWidth: 5,
		MapHeight: 6, CellSize: 32, PlayerSpeed: 6, TickHz: 20}))
	add("ZoneMessage", z.Inputs([]ZoneInput{{Character: 42, X: -5, Y: 6, Seq: 7, Actions: 1, MoveX: -127, MoveY: 127, Heading: 9}}))
	cdCopy := append([]byte(nil), NewCellDeltaEncoder().Encode(&cd)...)
	add("ZoneMessage", z.Tick(99, 12345, [][]byte{cdCopy, cdCopy}, []PlayerAt{{NetID: 7, X: -3, Y: 9}},
		[]PlayerEvent{{Character: 5, Message: NewPlayerEncoder().Damage(1, 2, 30, 0, false)}}))
	add("ZoneMessage", z.Chat(5, 0, "", "hello"))
	add("ZoneMessage", z.PlayerRequest(5, NewPlayerEncoder().ItemUse(77)))
	add("ZoneMessage", z.ReplayEvents(5, 123))
	add("ZoneMessage", z.EventsReplayed([]PlayerEvent{{Character: 5, Message: NewPlayerEncoder().Chat(0, "Ann", "hi", 7)},
		{Character: 5, Message: NewPlayerEncoder().Party(nil, 8), PartyLeader: 9, PartyJoined: 10}}))
	add("ZoneMessage", z.HandedOff(5, "ZONE-2", "127.0.0.1:7", &PlayerEntered{Character: 5, NetID: 2, Epoch: 9, MovedTo: "ZONE-3", Refused: "r"}))
	add("ZoneMessage", z.HandedOff(5, "ZONE-2", "127.0.0.1:7", nil))
	add("ZoneMessage", z.LoadInstance(&LoadInstance{Template: "crypt", Seed: 7, DB: "DB-1", DBAddr: "127.0.0.1:7101", ExitZone: "ZONE-1", ExitAddr: "127.0.0.1:7103", ExitX: 512, ExitY: 512}))
	add("ZoneMessage", z.InstanceLoaded(1, 2, "full"))
	add("ZoneMessage", z.PartiesChanged([]uint64{7, 9}))
	add("GatewayMessage", GatewayLoad(17, "127.0.0.1:7443", true, 3))
	re := NewRealmEncoder()
	add("RealmMessage", re.Connect(make([]byte, SessionHandleSize)))
	add("RealmMessage", re.Connected(&RealmConnected{Status: wire.RealmStatusOk, Message: "m", Account: "a", Zone: "Z", ZoneAddr: "127.0.0.1:1",
		Entered: PlayerEntered{Character: 1, NetID: 2, X: 3, Y: 4, Epoch: 5, MapSeed: 6, MapWidth: 7, MapHeight: 8, CellSize: 32, PlayerSpeed: 6, TickHz: 20}}))
	add("RealmMessage", re.PlayerLeft(9))
	add("RealmMessage", re.PlayerKicked(9))
	add("RealmMessage", re.PlayerMoved(9, "ZONE-2"))
	add("RealmMessage", re.InstanceRequest("crypt", 4))
	add("RealmMessage", re.InstanceGranted(&InstanceGranted{Node: "INST-1", Addr: "127.0.0.1:9", EntryX: 1, EntryY: 2, Reason: "r"}))
	add("RealmMessage", re.PoolIdle("crypt"))
	add("RealmMessage", re.PartyCheck(&PartyCheck{Parties: []Party{{Leader: 9, JoinedUnixUs: 1700000000000000}},
		Members: []PartyMemberAt{{Leader: 9, Character: 12, JoinedUnixUs: 1700000000000001, Name: "bob"}}}))
	add("RealmMessage", re.PartyAnswer(&PartyAnswer{Ended: []Party{{Leader: 9, JoinedUnixUs: AllMembers}},
		Elsewhere: []PartyMemberAt{{Leader: 4, Character: 4, JoinedUnixUs: 1, Name: "ann", Zone: "ZONE-3"}}, Settling: true}))
	add("RealmMessage", re.GatewayPlayers([]PlayerAtGateway{{Character: 9, Account: "a", Zone: "Z", ResumeToken: make([]byte, SessionHandleSize)}}))
	add("DbMessage", d.Request(&DbRequest{Op: wire.DbOpDbFindCharacter, Name: "Alia"}))
	add("DbMessage", d.Request(&DbRequest{Op: wire.DbOpDbCreateAccount, Name: "alia", Hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}))
	add("DbMessage", d.Request(&DbRequest{Op: wire.DbOpDbGetAccount, Name: "alia"}))
	add("DbMessage", d.Reply(&DbReply{Status: wire.DbStatusOk, Account: &DbAccount{Name: "alia", Hash: "h", CreatedUnixMs: 1700000000000}}))
	add("RealmMessage", NewRealmEncoder().SessionCreated(&SessionCreated{Handle: make([]byte, SessionHandleSize), Account: "alice",
		ExpiresUnixMs: 99, Address: "127.0.0.1:5000", WaitingSinceUnixMs: 1_800_000_000_000}))
	add("DbMessage", d.BackupDone(&DbBackupDone{Version: 9, Since: 3, SHA256: make([]byte, 32), Digest: make([]byte, 32), Bytes: 99}))
	return out
}

// decoders maps each envelope to its decode function and a fresh value that
// touch can walk after a successful decode.
var decoders = map[string]func([]byte) (any, error){
	"CellDelta": func(b []byte) (any, error) { var m wire.CellDelta; return &m, DecodeCellDelta(b, 1<<20, &m) },
	"Snapshot":  func(b []byte) (any, error) { var m wire.Snapshot; return &m, DecodeSnapshot(b, &m) },
	"Input":     func(b []byte) (any, error) { var m wire.Input; return &m, DecodeInput(b, &m) },
	"ClientMessage": func(b []byte) (any, error) {
		var m wire.ClientMessage
		return &m, DecodeClientMessage(b, &m)
	},
	"ServerMessage": func(b []byte) (any, error) {
		var m wire.ServerMessage
		return &m, DecodeServerMessage(b, &m)
	},
	"NodeFrame": func(b []byte) (any, error) { var m wire.NodeFrame; return &m, DecodeNodeFrame(b, 1<<20, &m) },
	"DbMessage": func(b []byte) (any, error) { var m wire.DbMessage; return &m, DecodeDbMessage(b, 1<<20, &m) },
	"GatewayMessage": func(b []byte) (any, error) {
		var m wire.GatewayMessage
		return &m, DecodeGatewayMessage(b, 1<<20, &m)
	},
	"ZoneMessage": func(b []byte) (any, error) {
		var m wire.ZoneMessage
		return &m, DecodeZoneMessage(b, 1<<20, &m)
	},
	"RealmMessage": func(b []byte) (any, error) {
		var m wire.RealmMessage
		return &m, DecodeRealmMessage(b, 1<<20, &m)
	},
}
