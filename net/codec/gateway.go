package codec

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// GatewayLoad encodes a gateway's load report.
//
// full says it takes no new player.
func GatewayLoad(players uint32, public string, full bool) []byte {
	b := flatbuffers.NewBuilder(64)
	p := b.CreateString(public)
	wire.GatewayLoadStart(b)
	wire.GatewayLoadAddPlayers(b, players)
	wire.GatewayLoadAddPublic(b, p)
	wire.GatewayLoadAddFull(b, full)
	body := wire.GatewayLoadEnd(b)
	wire.GatewayMessageStart(b)
	wire.GatewayMessageAddBodyType(b, wire.GatewayBodyGatewayLoad)
	wire.GatewayMessageAddBody(b, body)
	id := ident(identGatewayMsg)
	b.FinishWithFileIdentifier(wire.GatewayMessageEnd(b), id[:])
	return b.FinishedBytes()
}
