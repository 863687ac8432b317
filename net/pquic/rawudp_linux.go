//go:build linux && (amd64 || arm64)

package pquic

import (
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
)

// rawUDP is a UDP socket whose two hot calls — the send of one QUIC packet
// and the read of a batch — are raw system calls on its non-blocking
// socket, made inside the runtime's poller (RawConn.Write and Read: a full
// socket buffer, or an empty one, parks the goroutine as usual).
//
// Why: a Go system call that takes more than one of the runtime monitor's
// ticks (20 µs) has its P taken and handed to another thread, and the first
// system call after the process was idle wakes the monitor, which then polls
// every 20 µs for a millisecond. On a loopback sendmsg (the kernel delivers
// the packet and wakes the reader in the sender's call) and on a virtual
// machine where a thread switch is dear, that monitor and those hand-offs
// were a third of a gateway's CPU (ARCHITECTURE §3, where a player's gateway
// CPU goes). A raw call keeps its P: nothing else could use it meanwhile
// with one P, and the socket never blocks.
type rawUDP struct {
	*net.UDPConn
	rc    syscall.RawConn
	inet6 bool // an AF_INET6 socket: IPv4 peers go as mapped addresses

	sends sync.Pool // *rawSend
	count packetCounter

	// The read side: quic-go reads from one goroutine only.
	hdrs   [rawBatch]mmsghdr
	iovs   [rawBatch]syscall.Iovec
	names  [rawBatch]syscall.RawSockaddrAny
	nread  int
	readFn func(fd uintptr) bool
	rerr   syscall.Errno
	rflags int
}

// rawBatch is the most packets one read returns: quic-go asks for 8.
const rawBatch = 8

// mmsghdr is struct mmsghdr on a 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [4]byte
}

// rawSend is the state of one send, pooled so that a send allocates
// nothing (its closure is made once).
type rawSend struct {
	msg   syscall.Msghdr
	iov   syscall.Iovec
	sa6   syscall.RawSockaddrInet6
	sa4   syscall.RawSockaddrInet4
	n     uintptr
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

func (s *rawSend) send(fd uintptr) bool {
	for {
		s.n, _, s.errno = syscall.RawSyscall(syscall.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&s.msg)), 0)
		if s.errno != syscall.EINTR {
			return s.errno != syscall.EAGAIN
		}
	}
}

// wrapUDP returns udp with raw sends and batch reads, or udp itself where
// its family cannot be learnt.
func wrapUDP(udp *net.UDPConn) net.PacketConn {
	rc, err := udp.SyscallConn()
	if err != nil {
		return udp
	}
	var sa syscall.Sockaddr
	var serr error
	if err := rc.Control(func(fd uintptr) { sa, serr = syscall.Getsockname(int(fd)) }); err != nil || serr != nil {
		return udp
	}
	_, inet6 := sa.(*syscall.SockaddrInet6)
	c := &rawUDP{UDPConn: udp, rc: rc, inet6: inet6}
	c.sends.New = func() any {
		s := &rawSend{}
		s.fn = s.send
		return s
	}
	c.readFn = c.read
	return c
}

// WriteMsgUDP sends b (with the control messages oob) to addr, as
// net.UDPConn's does.
func (c *rawUDP) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	s := c.sends.Get().(*rawSend)
	defer c.sends.Put(s)
	s.msg = syscall.Msghdr{}
	if err := s.address(addr, c.inet6); err != nil {
		return 0, 0, c.opError("write", addr, err)
	}
	if len(b) > 0 {
		s.iov.Base = &b[0]
	}
	s.iov.SetLen(len(b))
	s.msg.Iov, s.msg.Iovlen = &s.iov, 1
	if len(oob) > 0 {
		s.msg.Control = &oob[0]
		s.msg.SetControllen(len(oob))
	}
	err = c.rc.Write(s.fn)
	s.iov.Base, s.msg.Control, s.msg.Iov, s.msg.Name = nil, nil, nil, nil
	if err != nil {
		return 0, 0, c.opError("write", addr, err)
	}
	if s.errno != 0 {
		return 0, 0, c.opError("write", addr, os.NewSyscallError("sendmsg", s.errno))
	}
	c.count.sent.Add(1)
	return int(s.n), len(oob), nil
}

// address points the message at addr, in the socket's family.
func (s *rawSend) address(addr *net.UDPAddr, inet6 bool) error {
	if addr == nil {
		return syscall.EDESTADDRREQ
	}
	port := uint16(addr.Port)
	if !inet6 {
		ip4 := addr.IP.To4()
		if ip4 == nil {
			return syscall.EAFNOSUPPORT
		}
		s.sa4 = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: port<<8 | port>>8}
		copy(s.sa4.Addr[:], ip4)
		s.msg.Name, s.msg.Namelen = (*byte)(unsafe.Pointer(&s.sa4)), syscall.SizeofSockaddrInet4
		return nil
	}
	ip16 := addr.IP.To16()
	if ip16 == nil {
		return syscall.EAFNOSUPPORT
	}
	s.sa6 = syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Port: port<<8 | port>>8, Scope_id: zoneIndex(addr.Zone)}
	copy(s.sa6.Addr[:], ip16)
	s.msg.Name, s.msg.Namelen = (*byte)(unsafe.Pointer(&s.sa6)), syscall.SizeofSockaddrInet6
	return nil
}

// zoneIndex is the interface index of an IPv6 zone ("" is 0). Received
// addresses carry it as a number (udpAddr), so a send to a peer parses it
// and never asks the kernel for an interface by name per packet.
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// ReadBatch reads up to len(ms) packets (and their control messages and
// sources) in one recvmmsg; quic-go uses it in place of x/net's.
func (c *rawUDP) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	k := min(len(ms), rawBatch)
	for i := range k {
		m, h := &ms[i], &c.hdrs[i]
		h.hdr = syscall.Msghdr{Name: (*byte)(unsafe.Pointer(&c.names[i])), Namelen: syscall.SizeofSockaddrAny}
		c.iovs[i] = syscall.Iovec{}
		if len(m.Buffers) > 0 && len(m.Buffers[0]) > 0 {
			c.iovs[i].Base = &m.Buffers[0][0]
			c.iovs[i].SetLen(len(m.Buffers[0]))
		}
		h.hdr.Iov, h.hdr.Iovlen = &c.iovs[i], 1
		if len(m.OOB) > 0 {
			h.hdr.Control = &m.OOB[0]
			h.hdr.SetControllen(len(m.OOB))
		}
	}
	c.nread, c.rflags = k, flags
	if err := c.rc.Read(c.readFn); err != nil {
		return 0, c.opError("read", nil, err)
	}
	if c.rerr != 0 {
		return 0, c.opError("read", nil, os.NewSyscallError("recvmmsg", c.rerr))
	}
	c.count.received.Add(uint64(c.nread))
	for i := range c.nread {
		h := &c.hdrs[i]
		ms[i].N, ms[i].NN, ms[i].Flags = int(h.n), int(h.hdr.Controllen), int(h.hdr.Flags)
		ms[i].Addr = udpAddr(&c.names[i])
	}
	return c.nread, nil
}

func (c *rawUDP) read(fd uintptr) bool {
	for {
		n, _, errno := syscall.RawSyscall6(sysRecvmmsg, fd, uintptr(unsafe.Pointer(&c.hdrs[0])),
			uintptr(c.nread), uintptr(c.rflags), 0, 0)
		switch errno {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.nread, c.rerr = int(n), errno
		return true
	}
}

// udpAddr is the source of a received packet, its zone as the interface
// index (no interface lookup per packet).
func udpAddr(sa *syscall.RawSockaddrAny) *net.UDPAddr {
	switch sa.Addr.Family {
	case syscall.AF_INET:
		p := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		return &net.UDPAddr{IP: net.IPv4(p.Addr[0], p.Addr[1], p.Addr[2], p.Addr[3]), Port: int(p.Port<<8 | p.Port>>8)}
	case syscall.AF_INET6:
		p := (*syscall.RawSockaddrInet6)(unsafe.Pointer(sa))
		a := &net.UDPAddr{IP: make(net.IP, net.IPv6len), Port: int(p.Port<<8 | p.Port>>8)}
		copy(a.IP, p.Addr[:])
		if p.Scope_id != 0 {
			a.Zone = strconv.FormatUint(uint64(p.Scope_id), 10) // the net package takes a numeric zone
		}
		return a
	}
	return &net.UDPAddr{}
}

// packets is what the socket sent and received.
func (c *rawUDP) packets() (PacketCounts, bool) { return c.count.load(), true }

func (c *rawUDP) opError(op string, addr *net.UDPAddr, err error) error {
	var a net.Addr
	if addr != nil {
		a = addr
	}
	return &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Addr: a, Err: err}
}

const sysRecvmmsg = syscall.SYS_RECVMMSG
