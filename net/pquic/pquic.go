package pquic

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/frame"
	"github.com/gridrealm/gridrealm/net/pki"
	"github.com/gridrealm/gridrealm/net/wire"
)

// ALPN is the application protocol of GridRealm's player connections.
const ALPN = "gridrealm/1"

// Config returns the QUIC settings of player connections: datagrams on,
// 0-RTT off, a 15 s idle timeout with keep-alives.
func Config() *quic.Config {
	return &quic.Config{
		EnableDatagrams: true,
		Allow0RTT:       false,
		MaxIdleTimeout:  15 * time.Second,
		KeepAlivePeriod: 5 * time.Second,
	}
}

// ServerTLS returns the server side TLS 1.3 config for a certificate and
// key in PEM.
func ServerTLS(certPEM, keyPEM []byte) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("player TLS: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{ALPN}, MinVersion: tls.VersionTLS13}, nil
}

// ClientTLS returns the client side config that trusts the CA (or
// self-signed certificate) caPEM.
func ClientTLS(caPEM []byte) (*tls.Config, error) { return ClientTLSFor(caPEM, "") }

// ClientTLSFor is ClientTLS with the name the server's certificate must
// carry; "" takes the host of the address dialed (a DNS name or an IP).
func ClientTLSFor(caPEM []byte, serverName string) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("player TLS: no certificate in the CA file")
	}
	return &tls.Config{RootCAs: pool, NextProtos: []string{ALPN}, MinVersion: tls.VersionTLS13, ServerName: serverName}, nil
}

// DevCertificate makes a self-signed certificate for localhost, 127.0.0.1
// and ::1, valid for a year: what `realm up` uses on one machine.
func DevCertificate() (certPEM, keyPEM []byte, err error) {
	return pki.SelfSigned("GridRealm dev realm", []string{"localhost", "127.0.0.1", "::1"}, 365*24*time.Hour)
}

// DevTLS makes a new DevCertificate and returns a server's TLS
// configuration with it and a client's that trusts it: a listener and its
// clients on one machine (tests, benches).
func DevTLS() (server, client *tls.Config, err error) {
	certPEM, keyPEM, err := DevCertificate()
	if err != nil {
		return nil, nil, err
	}
	if server, err = ServerTLS(certPEM, keyPEM); err != nil {
		return nil, nil, err
	}
	if client, err = ClientTLS(certPEM); err != nil {
		return nil, nil, err
	}
	return server, client, nil
}

// Session is one player connection: the reliable stream and datagrams.
type Session struct {
	conn   *quic.Conn
	stream *quic.Stream
	r      *frame.Reader
	wmu    sync.Mutex
	w      *frame.Writer
	latest latestBox // OfferDatagram's
}

// Dial connects to a login node or gateway and opens the reliable stream.
func Dial(ctx context.Context, addr string, tlsConf *tls.Config) (*Session, error) {
	return DialIdle(ctx, addr, tlsConf, 0)
}

// clientConfig is Config with an idle timeout of idle (0: Config's), and
// keep-alives eight times within it: a client that wants to learn fast
// that its gateway died (to reconnect elsewhere) asks for a short one.
//
// QUIC's idle timer starts again at the first ack-eliciting packet sent
// after the last one received; a client with nothing to say sends its
// first keep-alive up to one keep-alive period after the gateway died, so
// a loss is noticed between idle and idle + idle/8 after it.
func clientConfig(idle time.Duration) *quic.Config {
	c := Config()
	if idle > 0 {
		c.MaxIdleTimeout, c.KeepAlivePeriod = idle, idle/8
	}
	return c
}

// DialIdle is Dial with the connection counted as lost after idle of
// silence from the server (0: Config's 15 s).
func DialIdle(ctx context.Context, addr string, tlsConf *tls.Config, idle time.Duration) (*Session, error) {
	conn, err := quic.DialAddr(ctx, addr, tlsConf, clientConfig(idle))
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	return openStream(ctx, addr, conn)
}

// Transport is one UDP socket shared by many outgoing connections, for
// tools that run many clients at once (a swarm): one socket and one
// receive loop for all of them instead of one each, and received packets
// read in batches.
type Transport struct {
	tr *quic.Transport
}

// NewTransport opens a UDP socket on an ephemeral port.
func NewTransport() (*Transport, error) { return NewTransportAt("") }

// NewTransportAt opens a UDP socket on a local address ("host:port"; an
// empty host or port picks one): a test gives each simulated player its own
// loopback address (127.0.0.x) this way.
func NewTransportAt(local string) (*Transport, error) {
	var la *net.UDPAddr
	if local != "" {
		var err error
		if la, err = net.ResolveUDPAddr("udp", local); err != nil {
			return nil, fmt.Errorf("transport at %s: %w", local, err)
		}
	}
	udp, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, err
	}
	return &Transport{tr: &quic.Transport{Conn: wrapUDP(udp)}}, nil
}

// Dial is the package's Dial, over the shared socket.
func (t *Transport) Dial(ctx context.Context, addr string, tlsConf *tls.Config) (*Session, error) {
	return t.DialIdle(ctx, addr, tlsConf, 0)
}

// DialIdle is the package's DialIdle, over the shared socket.
func (t *Transport) DialIdle(ctx context.Context, addr string, tlsConf *tls.Config, idle time.Duration) (*Session, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	conn, err := t.tr.Dial(ctx, ua, tlsConf, clientConfig(idle))
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	return openStream(ctx, addr, conn)
}

// Packets is what the socket has sent and received, every connection's
// packets (QUIC's ACK-only ones too); ok is false where they are not
// counted (off 64-bit Linux).
func (t *Transport) Packets() (_ PacketCounts, ok bool) { return packetsOf(t.tr.Conn) }

// Close closes the socket and every connection still on it.
func (t *Transport) Close() error {
	err := t.tr.Close()
	t.tr.Conn.Close()
	return err
}

func openStream(ctx context.Context, addr string, conn *quic.Conn) (*Session, error) {
	stream, err := conn.OpenStreamSync(ctx)
	if err != nil {
		conn.CloseWithError(0, "")
		return nil, fmt.Errorf("connect %s: open stream: %w", addr, err)
	}
	return newSession(conn, stream), nil
}

// sessionBuffer is a session's stream buffer each way. A player's reliable
// messages are small and few (a welcome, events, a line's places), and a
// node holds a session per player (a login node's full realm line, tens
// of thousands): 64 KB each way was 128 KB a player, most of a load
// generator's memory per bot.
const sessionBuffer = 4 << 10

func newSession(conn *quic.Conn, stream *quic.Stream) *Session {
	return &Session{conn: conn, stream: stream,
		r: frame.NewReaderSize(stream, codec.MaxPlayerMessage, sessionBuffer),
		w: frame.NewWriterSize(stream, codec.MaxPlayerMessage, sessionBuffer)}
}

// Listener accepts player connections.
type Listener struct {
	ln *quic.Listener
	tr *quic.Transport

	mu     sync.Mutex
	live   int           // connections accepted and not ended
	ended  chan struct{} // closed when live is 0 after Close
	closed bool
	isOver bool // ended is closed
}

// Listen listens for players on a UDP address.
func Listen(addr string, tlsConf *tls.Config) (*Listener, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	udp, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	tr := &quic.Transport{Conn: wrapUDP(udp)}
	ln, err := tr.Listen(tlsConf, Config())
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return &Listener{ln: ln, tr: tr, ended: make(chan struct{})}, nil
}

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Packets is what the listener's socket has sent and received, as
// Transport.Packets.
func (l *Listener) Packets() (_ PacketCounts, ok bool) { return packetsOf(l.tr.Conn) }

// Close stops accepting. The connections accepted go on, so that their
// owner can close each with its reason (a gateway stopping tells every
// player why); the socket closes once the last has ended, or after an idle
// timeout and a second at most (a peer that vanished).
func (l *Listener) Close() error {
	err := l.ln.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return err
	}
	l.closed = true
	l.maybeOver()
	go func() {
		select {
		case <-l.ended:
		case <-time.After(Config().MaxIdleTimeout + time.Second):
		}
		l.tr.Close() // the stragglers, without a word
		l.tr.Conn.Close()
	}()
	return err
}

// track counts an accepted connection until it ends.
func (l *Listener) track(conn *quic.Conn) {
	l.mu.Lock()
	l.live++
	l.mu.Unlock()
	context.AfterFunc(conn.Context(), func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.live--
		l.maybeOver()
	})
}

// maybeOver closes ended once the listener is closed and no connection is
// left; l.mu is held.
func (l *Listener) maybeOver() {
	if l.closed && l.live == 0 && !l.isOver {
		l.isOver = true
		close(l.ended)
	}
}

// Incoming is an accepted connection whose reliable stream is not open
// yet.
type Incoming struct{ conn *quic.Conn }

// Accept waits for the next connection. It does not wait for the
// connection's stream: call Open for that, off the accept loop, so that one
// slow client cannot hold up the others (while the loop waits, quic-go's
// accept queue fills and refuses new connections).
func (l *Listener) Accept(ctx context.Context) (*Incoming, error) {
	conn, err := l.ln.Accept(ctx)
	if err != nil {
		return nil, err
	}
	l.track(conn)
	return &Incoming{conn: conn}, nil
}

// Open waits for the client's reliable stream; a client that does not open
// it within timeout is dropped.
func (in *Incoming) Open(ctx context.Context, timeout time.Duration) (*Session, error) {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stream, err := in.conn.AcceptStream(sctx)
	if err != nil {
		in.conn.CloseWithError(quic.ApplicationErrorCode(wire.DisconnectReasonProtocolError), "no stream opened")
		return nil, fmt.Errorf("accept from %s: %w", in.conn.RemoteAddr(), err)
	}
	return newSession(in.conn, stream), nil
}

// Send writes one reliable message.
func (s *Session) Send(msg []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.w.Write(msg); err != nil {
		return err
	}
	return s.w.Flush()
}

// Recv returns the next reliable message, valid until the next call; the
// deadline, if not zero, bounds the wait.
func (s *Session) Recv(deadline time.Time) ([]byte, error) {
	s.stream.SetReadDeadline(deadline)
	return s.r.Next()
}

// SendDatagram sends one unreliable datagram. It waits while the
// connection holds 32 datagrams it could not send yet (quic-go's queue: a
// peer that stopped acknowledging, or a congestion window full).
func (s *Session) SendDatagram(b []byte) error { return s.conn.SendDatagram(b) }

// OfferDatagram sends one unreliable datagram without ever waiting, for a
// sender that serves many sessions in turn (a gateway's pacer): b is copied
// to the session's slot, and a goroutine of the session hands the newest
// datagram offered to quic-go. While quic-go's queue for the connection is
// full, a newer offer replaces the one waiting (newest wins, as a player's
// snapshots do), and OfferDatagram reports that it did. Before, a gateway
// sending to a client that had stopped acknowledging waited in
// SendDatagram, and every other player of its zone waited with it: an
// overload run saw 2.4 s stalls and hundreds of reconnects.
func (s *Session) OfferDatagram(b []byte) (replaced bool) {
	x := &s.latest
	x.mu.Lock()
	if x.wake == nil {
		x.wake, x.pending, x.sending = make(chan struct{}, 1), -1, -1
		go s.sendLatest()
	}
	i := 0
	if x.sending == 0 {
		i = 1 // the other buffer is being sent
	}
	replaced = x.pending >= 0
	x.buf[i] = append(x.buf[i][:0], b...)
	x.pending = i
	x.mu.Unlock()
	select {
	case x.wake <- struct{}{}:
	default:
	}
	return replaced
}

// latestBox is a session's slot for OfferDatagram: two buffers, one
// waiting (pending) and one being handed to quic-go (sending).
type latestBox struct {
	mu               sync.Mutex
	buf              [2][]byte
	pending, sending int // buffer index, -1: none
	wake             chan struct{}
}

// sendLatest hands the newest offered datagram to quic-go until the
// connection ends.
func (s *Session) sendLatest() {
	x := &s.latest
	done := s.conn.Context().Done()
	for {
		select {
		case <-x.wake:
		case <-done:
			return
		}
		x.mu.Lock()
		i := x.pending
		x.pending, x.sending = -1, i
		x.mu.Unlock()
		if i < 0 {
			continue
		}
		s.conn.SendDatagram(x.buf[i]) // a closed connection drops it, as QUIC datagrams may be
		x.mu.Lock()
		x.sending = -1
		x.mu.Unlock()
	}
}

// RecvDatagram waits for the next datagram.
func (s *Session) RecvDatagram(ctx context.Context) ([]byte, error) {
	return s.conn.ReceiveDatagram(ctx)
}

// PacketsSent is how many QUIC packets the connection has sent.
func (s *Session) PacketsSent() uint64 { return s.conn.ConnectionStats().PacketsSent }

// MinRTT is the least round trip seen on the connection: the path's own,
// which a slow peer answering late does not raise.
func (s *Session) MinRTT() time.Duration { return s.conn.ConnectionStats().MinRTT }

// RemoteAddr returns the peer's address.
func (s *Session) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// Finish ends the reliable stream after what was sent, and waits (up to
// timeout) for the peer to close the connection, so that nothing sent is
// lost to an abrupt close; then it closes.
func (s *Session) Finish(timeout time.Duration) {
	s.stream.Close()
	select {
	case <-s.conn.Context().Done():
	case <-time.After(timeout):
	}
	s.conn.CloseWithError(0, "")
}

// Close closes the connection at once, telling the peer why.
func (s *Session) Close(reason wire.DisconnectReason, text string) error {
	return s.conn.CloseWithError(quic.ApplicationErrorCode(reason), text)
}

// Done is closed when the connection ends.
func (s *Session) Done() <-chan struct{} { return s.conn.Context().Done() }

// CloseReason returns why a connection ended, if the peer said.
func CloseReason(err error) (wire.DisconnectReason, string, bool) {
	var app *quic.ApplicationError
	if errors.As(err, &app) {
		return wire.DisconnectReason(app.ErrorCode), app.ErrorMessage, true
	}
	return 0, "", false
}

// LoadOrCreateDevCert returns the certificate and key in dir (cert.pem,
// key.pem), making a self-signed pair the first time. Nodes that share a
// directory should have it made before they start (realm up does).
func LoadOrCreateDevCert(dir string) (certPEM, keyPEM []byte, err error) {
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Nodes starting together (a login node and gateways of a realm whose
	// certificate does not exist yet) take turns: without it one could
	// read one's certificate with another's key.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".devcert.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, err
	}
	defer lock.Close() // and so unlocked
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, nil, err
	}
	if certPEM, err = os.ReadFile(certPath); err == nil {
		if keyPEM, err = os.ReadFile(keyPath); err == nil {
			return certPEM, keyPEM, nil
		}
	}
	if certPEM, keyPEM, err = DevCertificate(); err != nil {
		return nil, nil, err
	}
	// Written aside and renamed, key first: a reader never sees a torn
	// file, nor a certificate without its key.
	if err := writeAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, writeAtomic(certPath, certPEM, 0o644)
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
