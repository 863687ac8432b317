package gateway

import (
	"crypto/tls"
	"time"

	"github.com/gridrealm/gridrealm/net/node"
)

// Config configures a gateway node; the zero value of a field means its
// default.
type Config struct {
	// Node is the gateway's link identity; its Peers must include Realm.
	// Zones are dialed as players enter them.
	Node node.Config
	// Realm is the realm node's id.
	Realm string
	// Listen is the players' QUIC address; TLS its certificate. Required.
	Listen string
	TLS    *tls.Config
	// Budget is the size of one snapshot datagram (default 1,200 B).
	Budget int
	// Handshake bounds a connection from accept to Welcome (default 10 s).
	Handshake time.Duration
	// Public is the players' address other gateways redirect players to
	// (default: the listener's address).
	Public string
	// Siblings are the realm's other gateways (node ids, among Node.Peers):
	// they tell each other their load, and a player connecting to one that
	// is not the least loaded is redirected to the one that is.
	Siblings []string
}
