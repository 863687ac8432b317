package codec

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// GatewayLoad encodes a gateway's load report.
//
// full says it takes no new player; room is how many more it may take
// under its player cap (-1: no cap).
func GatewayLoad(players uint32, public string, full bool, room int32) []byte {
	b := flatbuffers.NewBuilder(64)
	p := b.CreateString(public)
	wire.GatewayLoadStart(b)
	wire.GatewayLoadAddPlayers(b, players)
	wire.GatewayLoadAddPublic(b, p)
	wire.GatewayLoadAddFull(b, full)
	wire.GatewayLoadAddRoom(b, room)
	body := wire.GatewayLoadEnd(b)
	wire.GatewayMessageStart(b)
	wire.GatewayMessageAddBodyType(b, wire.GatewayBodyGatewayLoad)
	wire.GatewayMessageAddBody(b, body)
	id := ident(identGatewayMsg)
	b.FinishWithFileIdentifier(wire.GatewayMessageEnd(b), id[:])
	return b.FinishedBytes()
}
