//go:build !linux || !(amd64 || arm64)

package pquic

import "net"

// wrapUDP is udp itself off 64-bit Linux: quic-go's own reads and writes.
func wrapUDP(udp *net.UDPConn) net.PacketConn { return udp }
