package codec

import (
	"reflect"
	"strings"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// unionMembers maps a union member's name to a fresh table of its type.
var unionMembers = map[string]func() any{
	"LoginRequest": func() any { return new(wire.LoginRequest) }, "Connect": func() any { return new(wire.Connect) },
	"ChatSend": func() any { return new(wire.ChatSend) }, "Logout": func() any { return new(wire.Logout) },
	"LoginResult": func() any { return new(wire.LoginResult) }, "Redirect": func() any { return new(wire.Redirect) },
	"Welcome": func() any { return new(wire.Welcome) }, "Chat": func() any { return new(wire.Chat) },
	"Spawn": func() any { return new(wire.Spawn) }, "Despawn": func() any { return new(wire.Despawn) },
	"Damage": func() any { return new(wire.Damage) }, "Loot": func() any { return new(wire.Loot) },
	"SystemMessage": func() any { return new(wire.SystemMessage) }, "Correction": func() any { return new(wire.Correction) },
	"Disconnect": func() any { return new(wire.Disconnect) }, "Hello": func() any { return new(wire.Hello) },
	"HelloProof": func() any { return new(wire.HelloProof) }, "Heartbeat": func() any { return new(wire.Heartbeat) },
	"Envelope": func() any { return new(wire.Envelope) }, "Ack": func() any { return new(wire.Ack) },
	"HistoryRequest": func() any { return new(wire.HistoryRequest) }, "Bye": func() any { return new(wire.Bye) },
	"DbRequest": func() any { return new(wire.DbRequest) }, "DbReply": func() any { return new(wire.DbReply) },
	"DbBackupChunk": func() any { return new(wire.DbBackupChunk) }, "DbBackupDone": func() any { return new(wire.DbBackupDone) },
	"DbCreateCharacter": func() any { return new(wire.DbCreateCharacter) }, "DbLoadCharacter": func() any { return new(wire.DbLoadCharacter) },
	"DbClaimCharacter": func() any { return new(wire.DbClaimCharacter) }, "DbSaveCheckpoint": func() any { return new(wire.DbSaveCheckpoint) },
	"DbGrantItem": func() any { return new(wire.DbGrantItem) }, "DbTransferItem": func() any { return new(wire.DbTransferItem) },
	"DbDestroyItem": func() any { return new(wire.DbDestroyItem) }, "DbGetItem": func() any { return new(wire.DbGetItem) },
	"DbListItems": func() any { return new(wire.DbListItems) }, "DbBackup": func() any { return new(wire.DbBackup) },
	"SessionCreated": func() any { return new(wire.SessionCreated) }, "DbFindCharacter": func() any { return new(wire.DbFindCharacter) },
	"RegisterRequest": func() any { return new(wire.RegisterRequest) }, "RealmListRequest": func() any { return new(wire.RealmListRequest) },
	"RealmList": func() any { return new(wire.RealmList) }, "RealmPopulationRequest": func() any { return new(wire.RealmPopulationRequest) },
	"RealmPopulation": func() any { return new(wire.RealmPopulation) }, "RealmSessionAssigned": func() any { return new(wire.RealmSessionAssigned) },
	"DbCreateAccount": func() any { return new(wire.DbCreateAccount) }, "DbGetAccount": func() any { return new(wire.DbGetAccount) },
	"RealmConnect": func() any { return new(wire.RealmConnect) }, "RealmConnected": func() any { return new(wire.RealmConnected) },
	"RealmPlayerLeft": func() any { return new(wire.RealmPlayerLeft) }, "RealmGatewayPlayers": func() any { return new(wire.RealmGatewayPlayers) },
	"ZoneSubscribe": func() any { return new(wire.ZoneSubscribe) }, "ZoneUnsubscribe": func() any { return new(wire.ZoneUnsubscribe) },
	"ZoneEnterPlayer": func() any { return new(wire.ZoneEnterPlayer) }, "ZonePlayerEntered": func() any { return new(wire.ZonePlayerEntered) },
	"ZoneLeavePlayer": func() any { return new(wire.ZoneLeavePlayer) }, "ZoneInputs": func() any { return new(wire.ZoneInputs) },
	"ZoneTick": func() any { return new(wire.ZoneTick) }, "GatewayLoad": func() any { return new(wire.GatewayLoad) },
	"ZoneChat":             func() any { return new(wire.ZoneChat) },
	"ZoneReplayEvents":     func() any { return new(wire.ZoneReplayEvents) },
	"ZoneEventsReplayed":   func() any { return new(wire.ZoneEventsReplayed) },
	"ZonePartiesChanged":   func() any { return new(wire.ZonePartiesChanged) },
	"ZoneHandedOff":        func() any { return new(wire.ZoneHandedOff) },
	"RealmPlayerMoved":     func() any { return new(wire.RealmPlayerMoved) },
	"RealmInstanceRequest": func() any { return new(wire.RealmInstanceRequest) },
	"RealmInstanceGranted": func() any { return new(wire.RealmInstanceGranted) },
	"RealmPoolIdle":        func() any { return new(wire.RealmPoolIdle) },
	"RealmPartyCheck":      func() any { return new(wire.RealmPartyCheck) },
	"RealmPartyAnswer":     func() any { return new(wire.RealmPartyAnswer) },
	"RealmPartyMember":     func() any { return new(wire.RealmPartyMember) },
	"PartyMemberElsewhere": func() any { return new(wire.PartyMemberElsewhere) },
	"ZoneLoadInstance":     func() any { return new(wire.ZoneLoadInstance) },
	"ZoneInstanceLoaded":   func() any { return new(wire.ZoneInstanceLoaded) },
	"ItemUse":              func() any { return new(wire.ItemUse) },
	"ItemDrop":             func() any { return new(wire.ItemDrop) },
	"TradeOffer":           func() any { return new(wire.TradeOffer) },
	"TradeAnswer":          func() any { return new(wire.TradeAnswer) },
	"Inventory":            func() any { return new(wire.Inventory) },
	"TradeOffered":         func() any { return new(wire.TradeOffered) },
	"TradeResult":          func() any { return new(wire.TradeResult) },
	"LoginQueued":          func() any { return new(wire.LoginQueued) },
	"Party":                func() any { return new(wire.Party) },
	"Names":                func() any { return new(wire.Names) },
	"WhoIs":                func() any { return new(wire.WhoIs) },
	"DbTradeItems":         func() any { return new(wire.DbTradeItems) },
	"ZonePlayerRequest":    func() any { return new(wire.ZonePlayerRequest) },
}

var (
	typeInt      = reflect.TypeOf(0)
	typeFBTable  = reflect.TypeOf(&flatbuffers.Table{})
	touchSkipped = []string{"Mutate", "Init", "Table", "UnPack"}
)

// touch calls every read accessor of a generated table (a pointer to a wire
// type), following vectors, structs and unions, the way a careless consumer
// would after a successful decode. It panics where the bytes are unsafe.
func touch(ptr any) {
	v := reflect.ValueOf(ptr)
	t := v.Type()
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		if skipMethod(m.Name) {
			continue
		}
		call := v.Method(i)
		switch mt := m.Type; {
		case mt.NumIn() == 1:
			call.Call(nil)
		case mt.NumIn() == 2 && mt.In(1) == typeInt:
			for j := 0; j < length(v, m.Name); j++ {
				call.Call([]reflect.Value{reflect.ValueOf(j)})
			}
		case mt.NumIn() == 2 && mt.In(1) == typeFBTable:
			tab := new(flatbuffers.Table)
			if !call.Call([]reflect.Value{reflect.ValueOf(tab)})[0].Bool() {
				continue
			}
			name := v.MethodByName(m.Name + "Type").Call(nil)[0].Interface().(interface{ String() string }).String()
			mk, ok := unionMembers[name]
			if !ok {
				panic("touch: no member type for union value " + name)
			}
			member := mk()
			reflect.ValueOf(member).MethodByName("Init").Call([]reflect.Value{reflect.ValueOf(tab.Bytes), reflect.ValueOf(tab.Pos)})
			touch(member)
		case mt.NumIn() == 2 && mt.In(1).Kind() == reflect.Pointer && mt.NumOut() == 1 && mt.Out(0) == mt.In(1):
			// A sub-table: Name(obj) returns obj, or nil when absent.
			sub := call.Call([]reflect.Value{reflect.New(mt.In(1).Elem())})[0]
			if !sub.IsNil() {
				touch(sub.Interface())
			}
		case mt.NumIn() == 3 && mt.In(2) == typeInt:
			for j := 0; j < length(v, m.Name); j++ {
				elem := reflect.New(mt.In(1).Elem())
				call.Call([]reflect.Value{elem, reflect.ValueOf(j)})
				touch(elem.Interface())
			}
		}
	}
}

func skipMethod(name string) bool {
	for _, p := range touchSkipped {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func length(v reflect.Value, name string) int {
	l := v.MethodByName(name + "Length")
	if !l.IsValid() {
		panic("touch: no length accessor for " + name)
	}
	return int(l.Call(nil)[0].Int())
}
