package pquic

import (
	"net"
	"sync/atomic"
)

// PacketCounts are the UDP packets a socket has sent and received: each
// QUIC packet once, whatever it carried (a datagram, stream data, or only
// an acknowledgement), so that a gateway's packets per player say what its
// connections cost beyond the datagrams they deliver.
type PacketCounts struct {
	Sent, Received uint64
}

// packetCounter counts a socket's packets as its sends and reads return.
type packetCounter struct {
	sent, received atomic.Uint64
}

func (c *packetCounter) load() PacketCounts {
	return PacketCounts{Sent: c.sent.Load(), Received: c.received.Load()}
}

// packetsOf is a socket's counts, if it counts them (wrapUDP's raw socket).
func packetsOf(c net.PacketConn) (PacketCounts, bool) {
	if pc, ok := c.(interface{ packets() (PacketCounts, bool) }); ok {
		return pc.packets()
	}
	return PacketCounts{}, false
}
