#!/usr/bin/env bash
# Measures two changes inside quic-go that ARCHITECTURE.md §3 proposes
# upstream, on the live gateway bench, without forking: it copies the
# module's exact source from the module cache into a scratch directory,
# changes it there, builds realm against the copy (go build -modfile, the
# project's go.mod untouched) and runs `realm bench gateway` three ways:
#
#   stock      the quic-go the project builds with
#   direct     a connection writes each packet from its run loop, with no
#              hand-off to a send-queue goroutine (QUIC_GO_DIRECT_SEND=1)
#   direct+ack and every peer acknowledges every 10th ack-eliciting packet
#              or after 100 ms, as the ACK frequency extension would let a
#              gateway ask its clients to (QUIC_GO_ACK_EVERY, QUIC_GO_ACK_DELAY)
#   bundle     a pending ACK rides on a packet that carries DATAGRAM frames,
#              as it already does on one that carries stream data
#              (QUIC_GO_ACK_WITH_DATAGRAMS=1): stock quic-go sends it in a
#              packet of its own when its timer fires (max_ack_delay), so a
#              client's input sent just after a snapshot does not carry the
#              snapshot's ACK, nor a snapshot the ACK of an input
#   bundle+ack both of the last two
#   inline     SendDatagram packs, seals and writes its packet in the
#              caller's goroutine while the connection's run loop waits,
#              instead of waking it (QUIC_GO_INLINE_SEND=1, with direct):
#              no hand-off between goroutines per datagram sent
#
# Usage: tools/quicexp/experiment.sh [players] [duration] [rounds]
# Prints one JSON object per run, each with its "config"; rounds alternate
# the configurations, as this machine is shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/../.."
players=${1:-200}
duration=${2:-20s}
rounds=${3:-2}

work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
src=$(go list -m -f '{{.Dir}}' github.com/quic-go/quic-go)
cp -r "$src" "$work/quic-go"
chmod -R u+w "$work/quic-go"
q=$work/quic-go

# 1. A send queue that writes in the caller's goroutine.
cat > "$q/send_queue_direct.go" <<'GO'
package quic

import (
	"net"
	"os"

	"github.com/quic-go/quic-go/internal/protocol"
)

var directSend = os.Getenv("QUIC_GO_DIRECT_SEND") == "1"

// directSendQueue writes each packet from the goroutine that packed it.
type directSendQueue struct {
	conn   sendConn
	closed chan struct{}
	errs   chan error
	never  chan struct{}
}

func newDirectSendQueue(conn sendConn) sender {
	return &directSendQueue{conn: conn, closed: make(chan struct{}), errs: make(chan error, 1), never: make(chan struct{})}
}

func (h *directSendQueue) Send(p *packetBuffer, gsoSize uint16, ecn protocol.ECN) {
	if err := h.conn.Write(p.Data, gsoSize, ecn); err != nil && !isSendMsgSizeErr(err) {
		select {
		case h.errs <- err:
		default:
		}
	}
	p.Release()
}

func (h *directSendQueue) SendProbe(p *packetBuffer, addr net.Addr, info packetInfo) {
	h.conn.WriteTo(p.Data, addr, info)
}

func (h *directSendQueue) WouldBlock() bool            { return false }
func (h *directSendQueue) Available() <-chan struct{} { return h.never }

func (h *directSendQueue) Run() error {
	select {
	case <-h.closed:
		return nil
	case err := <-h.errs:
		return err
	}
}

func (h *directSendQueue) Close() {
	select {
	case <-h.closed:
	default:
		close(h.closed)
	}
}
GO
edit() { # file, perl substitution; fails when it changes nothing
	local before
	before=$(md5sum "$1")
	perl -0pi -e "$2" "$1"
	[ "$(md5sum "$1")" != "$before" ] || { echo "quicexp: $1 did not change: quic-go moved on, update the script" >&2; exit 1; }
}
edit "$q/send_queue.go" 's/(func newSendQueue\(conn sendConn\) sender \{\n)/$1\tif directSend {\n\t\treturn newDirectSendQueue(conn)\n\t}\n/'

# 2. How often a receiver acknowledges, from the environment.
cat > "$q/internal/ackhandler/ack_env.go" <<'GO'
package ackhandler

import (
	"os"
	"strconv"
	"time"
)

func envDuration(k string, d time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return v
	}
	return d
}

func envInt(k string, d int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return d
}
GO
edit "$q/internal/ackhandler/received_packet_tracker.go" 's/const MaxAckDelay = 25 \* time.Millisecond/var MaxAckDelay = envDuration("QUIC_GO_ACK_DELAY", 25*time.Millisecond)/'
edit "$q/internal/ackhandler/received_packet_tracker.go" 's/const packetsBeforeAck = 2/var packetsBeforeAck = envInt("QUIC_GO_ACK_EVERY", 2)/'

# 3. ACKs ride on DATAGRAM packets: the packer asks for an ACK only if one
# is due (onlyIfQueued) unless the packet carries retransmissions or stream
# data; a packet with DATAGRAM frames is as ack-eliciting as those.
cat > "$q/ack_bundle_env.go" <<'GO'
package quic

import "os"

var ackWithDatagrams = os.Getenv("QUIC_GO_ACK_WITH_DATAGRAMS") == "1"
GO
edit "$q/packet_packer.go" 's/(\thasRetransmission := p.retransmissionQueue.HasData\(protocol.Encryption1RTT\)\n)(\n\tvar pl payload\n\tif ackAllowed \{\n\t\tif ack := p.acks.GetAckFrame\(protocol.Encryption1RTT, now, !hasRetransmission && !hasData)\)/$1\thasDatagram := ackWithDatagrams && p.datagramQueue != nil && p.datagramQueue.Peek() != nil\n$2 && !hasDatagram)/'

# 4. Datagrams sent inline: the run loop holds a mutex except while it
# waits for events; SendDatagram takes it if it is free, queues its frame
# without signalling, sends what the connection may send now, and resets
# the connection's timer; if the run loop is busy (or the queue full), the
# datagram goes the stock way.
cat > "$q/inline_send.go" <<'GO'
package quic

import (
	"os"

	"github.com/quic-go/quic-go/internal/monotime"
	"github.com/quic-go/quic-go/internal/wire"
)

var inlineSend = os.Getenv("QUIC_GO_INLINE_SEND") == "1"

func (c *Conn) inlineUnlock() {
	if inlineSend {
		c.inlineMu.Unlock()
	}
}

func (c *Conn) inlineRelock() {
	if inlineSend {
		c.inlineMu.Lock()
	}
}

// sendDatagramInline sends f now if the run loop is waiting; false: f is
// not queued.
func (c *Conn) sendDatagramInline(f *wire.DatagramFrame) bool {
	if !c.inlineMu.TryLock() {
		return false
	}
	defer c.inlineMu.Unlock()
	if c.inlineDone || !c.handshakeComplete || c.closeErr.Load() != nil || !c.datagramQueue.addQuiet(f) {
		return false
	}
	c.blocked = blockModeNone
	if err := c.triggerSending(monotime.Now()); err != nil {
		c.setCloseError(&closeError{err: err})
		c.scheduleSending()
		return true
	}
	if c.pacingDeadline.Equal(deadlineSendImmediately) {
		c.scheduleSending()
	} else {
		c.maybeResetTimer()
	}
	return true
}

// addQuiet queues f without waking the run loop; false if the queue is
// full or closed.
func (h *datagramQueue) addQuiet(f *wire.DatagramFrame) bool {
	h.sendMx.Lock()
	defer h.sendMx.Unlock()
	select {
	case <-h.closed:
		return false
	default:
	}
	if h.sendQueue.Len() >= maxDatagramSendQueueLen {
		return false
	}
	h.sendQueue.PushBack(f)
	return true
}
GO
edit "$q/connection.go" 's/(type Conn struct \{\n)/$1\tinlineMu   sync.Mutex\n\tinlineDone bool\n/'
edit "$q/connection.go" 's/(func \(c \*Conn\) run\(\) \(err error\) \{\n)/$1\tif inlineSend {\n\t\tc.inlineMu.Lock()\n\t\tdefer func() { c.inlineDone = true; c.inlineMu.Unlock() }()\n\t}\n/'
edit "$q/connection.go" 's/(\t\t\t\/\/ \* received packets\n)(\t\t\tselect \{\n\t\t\tcase <-c.closeChan:\n)(\t\t\t\tbreak runLoop\n\t\t\tcase <-c.timer.C:\n)(\t\t\tcase <-c.sendingScheduled:\n)(\t\t\tcase <-sendQueueAvailable:\n)(\t\t\tcase <-c.notifyReceivedPacket:\n)/$1\t\t\tc.inlineUnlock()\n$2\t\t\t\tc.inlineRelock()\n$3\t\t\t\tc.inlineRelock()\n$4\t\t\t\tc.inlineRelock()\n$5\t\t\t\tc.inlineRelock()\n$6\t\t\t\tc.inlineRelock()\n/'
edit "$q/connection.go" 's/(\tcopy\(f.Data, p\)\n)(\treturn c.datagramQueue.Add\(f\)\n)/$1\tif inlineSend \&\& c.sendDatagramInline(f) {\n\t\treturn nil\n\t}\n$2/'

cp go.mod "$work/go.mod"
cp go.sum "$work/go.sum"
echo "replace github.com/quic-go/quic-go => $q" >> "$work/go.mod"
go build -o "$work/realm-stock" ./cmd/realm
go build -modfile="$work/go.mod" -o "$work/realm-patched" ./cmd/realm

run() { # config, binary, env...
	local config=$1 bin=$2
	shift 2
	local out
	out=$(env "$@" "$bin" bench gateway --players "$players" --scenario spread --duration "$duration")
	echo "{\"config\": \"$config\", \"bench\": $out}"
}
for _ in $(seq "$rounds"); do
	run stock "$work/realm-stock" QUIC_GO_DIRECT_SEND=0
	run direct "$work/realm-patched" QUIC_GO_DIRECT_SEND=1
	run direct+ack "$work/realm-patched" QUIC_GO_DIRECT_SEND=1 QUIC_GO_ACK_EVERY=10 QUIC_GO_ACK_DELAY=100ms
	run bundle "$work/realm-patched" QUIC_GO_ACK_WITH_DATAGRAMS=1
	run bundle+ack "$work/realm-patched" QUIC_GO_ACK_WITH_DATAGRAMS=1 QUIC_GO_ACK_EVERY=10 QUIC_GO_ACK_DELAY=100ms
	run inline "$work/realm-patched" QUIC_GO_DIRECT_SEND=1 QUIC_GO_INLINE_SEND=1
done
