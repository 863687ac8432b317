package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// ErrDenied: the login node refused the account or password, or asked to
// wait (the result's status says which).
var ErrDenied = errors.New("login refused")

// Login logs in to a login node and returns its answer: with status Ok, a
// session handle and the gateways to connect to.
func Login(ctx context.Context, addr string, tlsConf *tls.Config, account, password, realm string) (codec.LoginResult, error) {
	s, err := pquic.Dial(ctx, addr, tlsConf)
	if err != nil {
		return codec.LoginResult{}, err
	}
	defer s.Close(0, "")
	if err := s.Send(codec.NewPlayerEncoder().LoginRequest(account, password, realm, 1)); err != nil {
		return codec.LoginResult{}, err
	}
	deadline, _ := ctx.Deadline()
	b, err := s.Recv(deadline)
	if err != nil {
		return codec.LoginResult{}, err
	}
	var m wire.ServerMessage
	if err := codec.DecodeServerMessage(b, &m); err != nil || m.BodyType() != wire.ServerBodyLoginResult {
		return codec.LoginResult{}, fmt.Errorf("login: unexpected answer: %v", err)
	}
	var w wire.LoginResult
	codec.Member(m.Body, &w)
	r := codec.LoginResult{Status: w.Status(), SessionHandle: append([]byte(nil), w.SessionHandleBytes()...),
		ExpiresUnixMs: w.ExpiresUnixMs(), Message: string(w.Message())}
	for i := 0; i < w.GatewaysLength(); i++ {
		r.Gateways = append(r.Gateways, string(w.Gateways(i)))
	}
	if r.Status != wire.LoginStatusOk {
		return r, fmt.Errorf("%w: %s: %s", ErrDenied, r.Status, r.Message)
	}
	return r, nil
}

// Conn is a connection to a gateway: the world view it keeps, and inputs.
type Conn struct {
	s       *pquic.Session
	Welcome codec.Welcome

	mu    sync.Mutex
	world World
	enc   *codec.PlayerEncoder
	seq   uint32
	snap  codec.Snapshot
	done  chan struct{}
	err   error
	opts  Options
	drop  *rand.Rand
	Stats Stats

	selfX, selfY int32 // where the client last saw its own entity, 1/256 m
}

// Stats counts what a connection received.
type Stats struct {
	Snapshots, Skipped, Bytes int
	// Dropped counts datagrams the drop shim threw away.
	Dropped int
	// OverBudget counts snapshot datagrams larger than the budget the
	// gateway announced in Welcome: a gateway bug, always 0.
	OverBudget int
	// MaxDatagram is the largest snapshot datagram received, bytes.
	MaxDatagram int
	// Events received on the reliable stream, by kind.
	Chats, Damages, Loots, SystemMessages int
	// Corrections of the claimed position, and the last one (1/256 m).
	Corrections        int
	CorrectX, CorrectY int32
	// Disconnect is why the gateway disconnected, if it said.
	Disconnect wire.DisconnectReason
}

// Options tune a connection.
type Options struct {
	// DropRate is the share of received datagrams the client throws away,
	// as a lossy network would: a shim for tests and load tests.
	DropRate float64
	// Seed seeds the drops.
	Seed uint64
	// Transport, when set, carries the connection over a socket shared
	// with other connections (pquic.NewTransport): for tools that run many
	// clients. Closing the Conn leaves the Transport open.
	Transport *pquic.Transport
	// OnSnapshot, when set, is called for every snapshot datagram received
	// (after the drop shim), once it has been applied to the world view:
	// applyErr is Apply's answer (ErrNoBaseline for a skipped delta). It
	// runs on the receiving goroutine with the view locked, so it must be
	// quick and must not call the Conn's methods; w is the view itself.
	// Load tools use it to time snapshots (s.TickUnixMs) and to watch the
	// player's own entity.
	OnSnapshot func(s *codec.Snapshot, size int, applyErr error, w *World)
	// OnEvent, when set, is called for every event the gateway sends on
	// the reliable stream (Chat, Damage, Loot, SystemMessage, Correction,
	// Disconnect), on the stream's goroutine; m is valid during the call.
	OnEvent func(m *wire.ServerMessage)
}

// Connect presents a session handle to a gateway, following redirects to
// another gateway, and starts receiving snapshots.
func Connect(ctx context.Context, gateway string, tlsConf *tls.Config, handle []byte) (*Conn, error) {
	return ConnectWith(ctx, gateway, tlsConf, handle, Options{})
}

// ConnectWith is Connect with options.
func ConnectWith(ctx context.Context, gateway string, tlsConf *tls.Config, handle []byte, opts Options) (*Conn, error) {
	dial := pquic.Dial
	if opts.Transport != nil {
		dial = opts.Transport.Dial
	}
	for hops := 0; hops < 4; hops++ {
		s, err := dial(ctx, gateway, tlsConf)
		if err != nil {
			return nil, err
		}
		if err := s.Send(codec.NewPlayerEncoder().Connect(handle, 0, uint8(hops))); err != nil {
			s.Close(0, "")
			return nil, err
		}
		deadline, _ := ctx.Deadline()
		b, err := s.Recv(deadline)
		if err != nil {
			s.Close(0, "")
			if reason, text, ok := pquic.CloseReason(err); ok {
				return nil, fmt.Errorf("gateway %s closed the connection: %s: %s", gateway, reason, text)
			}
			return nil, err
		}
		var m wire.ServerMessage
		if err := codec.DecodeServerMessage(b, &m); err != nil {
			s.Close(wire.DisconnectReasonProtocolError, "")
			return nil, err
		}
		switch m.BodyType() {
		case wire.ServerBodyRedirect:
			var r wire.Redirect
			codec.Member(m.Body, &r)
			s.Close(0, "")
			gateway = string(r.Address())
			continue
		case wire.ServerBodyWelcome:
			var w wire.Welcome
			codec.Member(m.Body, &w)
			c := &Conn{s: s, enc: codec.NewPlayerEncoder(), done: make(chan struct{}), opts: opts,
				drop: rand.New(rand.NewPCG(opts.Seed, 0x64726f70)),
				Welcome: codec.Welcome{EntityID: w.EntityId(), Zone: string(w.Zone()), TickHz: w.TickHz(), CellSize: w.CellSize(),
					SnapshotBudget: w.SnapshotBudget(), X: w.X(), Y: w.Y()}, selfX: w.X(), selfY: w.Y()}
			go c.receive()
			go c.events()
			return c, nil
		default:
			s.Close(wire.DisconnectReasonProtocolError, "")
			return nil, fmt.Errorf("gateway %s: unexpected %s", gateway, m.BodyType())
		}
	}
	return nil, errors.New("connect: too many redirects")
}

// receive applies snapshot datagrams until the connection ends.
func (c *Conn) receive() {
	defer close(c.done)
	for {
		b, err := c.s.RecvDatagram(context.Background())
		if err != nil {
			c.err = err
			return
		}
		c.mu.Lock()
		if c.opts.DropRate > 0 && c.drop.Float64() < c.opts.DropRate {
			c.Stats.Dropped++
			c.mu.Unlock()
			continue
		}
		c.Stats.Bytes += len(b)
		c.Stats.MaxDatagram = max(c.Stats.MaxDatagram, len(b))
		if budget := int(c.Welcome.SnapshotBudget); budget > 0 && len(b) > budget {
			c.Stats.OverBudget++
		}
		if err := codec.ReadSnapshot(b, &c.snap); err == nil {
			c.Stats.Snapshots++
			applyErr := c.world.Apply(&c.snap)
			if applyErr != nil {
				c.Stats.Skipped++
			}
			if c.opts.OnSnapshot != nil {
				c.opts.OnSnapshot(&c.snap, len(b), applyErr, &c.world)
			}
		}
		c.mu.Unlock()
	}
}

// events reads the reliable stream: game events, corrections and
// disconnect reasons.
func (c *Conn) events() {
	var m wire.ServerMessage
	for {
		b, err := c.s.Recv(time.Time{})
		if err != nil {
			// The close may overtake the Disconnect message: it carries the
			// reason too.
			if reason, _, ok := pquic.CloseReason(err); ok && reason != 0 {
				c.mu.Lock()
				if c.Stats.Disconnect == 0 {
					c.Stats.Disconnect = reason
				}
				c.mu.Unlock()
			}
			return
		}
		if codec.DecodeServerMessage(b, &m) != nil {
			continue
		}
		if c.opts.OnEvent != nil {
			c.opts.OnEvent(&m)
		}
		c.mu.Lock()
		switch m.BodyType() {
		case wire.ServerBodyChat:
			c.Stats.Chats++
		case wire.ServerBodyDamage:
			c.Stats.Damages++
		case wire.ServerBodyLoot:
			c.Stats.Loots++
		case wire.ServerBodySystemMessage:
			c.Stats.SystemMessages++
		case wire.ServerBodyCorrection:
			var w wire.Correction
			codec.Member(m.Body, &w)
			c.Stats.Corrections++
			c.Stats.CorrectX, c.Stats.CorrectY = w.X(), w.Y()
		case wire.ServerBodyDisconnect:
			var w wire.Disconnect
			codec.Member(m.Body, &w)
			c.Stats.Disconnect = w.Reason()
		}
		c.mu.Unlock()
	}
}

// SendInput sends an input datagram; it acknowledges the newest snapshot.
// A zero claimed position (X, Y) is filled with where the client sees its
// own entity: an honest client without prediction.
func (c *Conn) SendInput(in codec.Input) error {
	c.mu.Lock()
	if in.X == 0 && in.Y == 0 {
		// Where the client last saw itself: its own entity can be missing
		// from a snapshot for a moment (a cell being resent), and falling
		// back to the spawn point would be a teleport.
		if self, ok := c.world.Entity(c.Welcome.EntityID); ok {
			c.selfX, c.selfY = spatial.QuantizeCoord(self.X), spatial.QuantizeCoord(self.Y)
		}
		in.X, in.Y = c.selfX, c.selfY
	}
	c.seq++
	in.Seq, in.Ack = c.seq, c.world.Latest()
	in.ClientTimeMs = uint32(time.Now().UnixMilli())
	b := append([]byte(nil), c.enc.Input(&in)...)
	c.mu.Unlock()
	return c.s.SendDatagram(b)
}

// Chat sends a chat line on a channel (codec.ChatSay, ChatZone, or
// ChatWhisper to the player named to); the zone routes it.
func (c *Conn) Chat(channel uint8, to, text string) error {
	return c.s.Send(codec.NewPlayerEncoder().ChatSend(channel, to, text))
}

// Counters returns a copy of the connection's stats.
func (c *Conn) Counters() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Stats
}

// View runs fn with the world view, locked.
func (c *Conn) View(fn func(w *World)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(&c.world)
}

// Done is closed when the connection has ended (closed by either side or
// lost); Err then says why, and Counters().Disconnect carries the reason
// the gateway gave, if it gave one.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns what ended the connection, once Done is closed.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close ends the connection.
func (c *Conn) Close() error {
	c.s.Close(0, "bye")
	<-c.done
	return nil
}
