package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Conn is a connection to a gateway: the world view it keeps, and inputs.
// With Options.Reconnect it outlives the QUIC connection under it: a lost
// connection is replaced by a new one to any of the realm's gateways,
// presented with the resume token, and Done closes only once that fails.
type Conn struct {
	s       *pquic.Session // the current connection (under mu)
	tlsConf *tls.Config
	gateway string // the gateway of the current connection
	closing atomic.Bool
	// Welcome is the first connection's welcome; Welcomed returns the
	// current one, which a reconnect replaces.
	Welcome codec.Welcome
	cur     codec.Welcome

	mu    sync.Mutex
	world World
	// inventory is what the player owns, from the last Inventory.
	inventory []codec.InventoryItem
	// party is the player's party, from the last Party since the last
	// Welcome.
	party []codec.PartyMember
	// partyElsewhere is its members in other zones, from the same Party.
	partyElsewhere []codec.PartyElsewhere
	// names are who entities of the player's zone are, from the Names
	// since the last Welcome (ids name other entities in another zone).
	names map[uint32]codec.Named
	// asked is when AskNames last asked about each entity not named yet,
	// and lastAsk when it last asked (names.go).
	asked   map[uint32]time.Time
	lastAsk time.Time
	tooks   []time.Duration // how long the names told since the event loop last looked took (for OnNamed)
	enc     *codec.PlayerEncoder
	seq     uint32
	snap    codec.Snapshot
	done    chan struct{}
	err     error
	opts    Options
	drop    *rand.Rand
	Stats   Stats

	selfX, selfY int32  // where the client last saw its own entity, 1/256 m
	self         uint32 // its own entity: the newest Welcome's, or a full snapshot's since
	lastEvent    uint64 // the highest chat or system message number seen (under mu)

	// Steer's memory: the intent last sent, when, and the snapshot it
	// acknowledged (under mu).
	steered   codec.Input
	steeredAt time.Time
	steerAck  uint32
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
	// Trades by how they ended (TradeResult: Done, Declined, Expired,
	// Failed) and offers made to this player.
	TradesDone, TradesFailed, TradesOffered int
	// Corrections of the claimed position, and the last one (1/256 m).
	Corrections        int
	CorrectX, CorrectY int32
	// Disconnect is why the gateway disconnected, if it said.
	Disconnect wire.DisconnectReason
	// Reconnects counts the connections lost and made again (Options.Reconnect).
	Reconnects int
	// Rewelcomes counts Welcomes on a live connection: the zone restarted
	// and took the player back under a new entity (Welcomed has it).
	Rewelcomes int
	// ZoneChanges counts those that moved the player to another zone (a
	// handoff).
	ZoneChanges int
	// NamesAsked counts the entities AskNames asked about, NamesTold those
	// of them the zone named, and NamesMismatched the names told whose kind
	// or template differs from what the newest snapshot shows under the
	// same id (a zone or gateway bug, always 0). NamesRenamed counts the
	// names kept that a content reload renamed (their template's).
	NamesAsked, NamesTold, NamesMismatched, NamesRenamed int
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

	// Gateways are the realm's gateways (the login result's): where a lost
	// connection comes back (Reconnect), and where Connect turns when the
	// gateway it was given does not answer.
	//
	// Reconnect makes a lost connection come back by itself: the client
	// presents its resume token (Welcome.ResumeToken) to the gateways in
	// Gateways, in turn, with backoff, for at most ReconnectFor (default
	// 30 s), without logging in again. A connection the gateway ended on
	// purpose (Replaced, a cheat, a flood, an invalid session, a realm
	// restart, a db failure) is not resumed. With Reconnect, DeadAfter defaults to
	// DefaultReconnectDeadAfter.
	Gateways     []string
	Reconnect    bool
	ReconnectFor time.Duration
	// OnReconnect, when set, hears of every lost connection: whether it
	// came back, where and how long it took.
	OnReconnect func(ReconnectEvent)
	// OnZoneChange, when set, hears of every move of the player to another
	// zone on a live connection (a border, a portal, an instance): the new
	// zone's Welcome (its entity, where it stands) arrived; the next
	// snapshot is full state of the new zone. It runs on the connection's
	// event goroutine: keep it short.
	OnZoneChange func(from, to string, w codec.Welcome)
	// OnNamed, when set, is called for each entity AskNames asked about
	// that the zone then named, with the time the answer took. It runs on
	// the connection's event goroutine: keep it short.
	OnNamed func(after time.Duration)
	// Realm is the realm the session belongs to (the one logged in to): a
	// gateway that serves several realms places the player through that
	// realm's node. Empty: the gateway's only realm.
	Realm string
	// DeadAfter is how long the gateway may stay silent before the
	// connection counts as lost: QUIC's idle timeout, with keep-alives
	// eight times within it (default 15 s; DefaultReconnectDeadAfter with
	// Reconnect).
	DeadAfter time.Duration
}

// DefaultReconnectDeadAfter is how soon a reconnecting client decides its
// gateway is gone (1–1.125 s after its last packet): short enough to be
// back well within 2 s of a gateway's crash, at the cost of a keep-alive
// every 125 ms while the client has nothing else to send (a playing client
// sends inputs more often than that anyway).
const DefaultReconnectDeadAfter = time.Second

// Connect presents a session handle to a gateway, following redirects to
// another gateway, and starts receiving snapshots.
func Connect(ctx context.Context, gateway string, tlsConf *tls.Config, handle []byte) (*Conn, error) {
	return ConnectWith(ctx, gateway, tlsConf, handle, Options{})
}

// ConnectWith is Connect with options.
func ConnectWith(ctx context.Context, gateway string, tlsConf *tls.Config, handle []byte, opts Options) (*Conn, error) {
	if opts.Reconnect && opts.DeadAfter == 0 {
		opts.DeadAfter = DefaultReconnectDeadAfter
	}
	if opts.ReconnectFor <= 0 {
		opts.ReconnectFor = 30 * time.Second
	}
	s, w, at, err := connectAny(ctx, gateway, tlsConf, handle, &opts)
	if err != nil {
		return nil, err
	}
	c := &Conn{s: s, tlsConf: tlsConf, gateway: at, enc: codec.NewPlayerEncoder(), done: make(chan struct{}), opts: opts,
		drop: rand.New(rand.NewPCG(opts.Seed, 0x64726f70)), Welcome: w, cur: w, selfX: w.X, selfY: w.Y, self: w.EntityID}
	go c.receive()
	go c.events(s)
	return c, nil
}

// connectAny connects to gateway, or, when it does not answer, to the
// other gateways of Options.Gateways in turn (each try bounded by
// gatewayTry): a realm's gateway may be down. A gateway that answers and
// refuses (a ClosedError) is the answer.
func connectAny(ctx context.Context, gateway string, tlsConf *tls.Config, handle []byte, opts *Options) (*pquic.Session, codec.Welcome, string, error) {
	candidates := append([]string{gateway}, opts.Gateways...)
	var firstErr error
	for i, g := range candidates {
		if i > 0 && g == gateway {
			continue
		}
		try := time.Duration(0) // the caller's deadline alone
		if len(opts.Gateways) > 0 {
			try = gatewayTry
		}
		s, w, at, err := handshake(ctx, g, tlsConf, handle, nil, opts, try)
		if err == nil {
			return s, w, at, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		var closed *ClosedError
		if errors.As(err, &closed) || ctx.Err() != nil || len(opts.Gateways) == 0 {
			return nil, codec.Welcome{}, "", err
		}
	}
	return nil, codec.Welcome{}, "", firstErr
}

// gatewayTry bounds one try to reach a gateway (the QUIC handshake, not
// the placement that follows) when others are listed to fall back on.
const gatewayTry = 3 * time.Second

// handshake connects to a gateway with a session handle or resume token,
// following redirects, and returns the connection, its welcome and the
// gateway that welcomed it.
func handshake(ctx context.Context, gateway string, tlsConf *tls.Config, handle []byte, resume *resumption, opts *Options, dialTry time.Duration) (*pquic.Session, codec.Welcome, string, error) {
	dial := pquic.DialIdle
	if opts.Transport != nil {
		dial = opts.Transport.DialIdle
	}
	for hops := 0; hops < 4; hops++ {
		dctx, cancel := ctx, context.CancelFunc(func() {})
		if dialTry > 0 {
			dctx, cancel = context.WithTimeout(ctx, dialTry)
		}
		s, err := dial(dctx, gateway, tlsConf, opts.DeadAfter)
		cancel()
		if err != nil {
			return nil, codec.Welcome{}, "", err
		}
		m, err := greet(ctx, s, gateway, handle, resume, hops, opts.Realm)
		if err != nil {
			return nil, codec.Welcome{}, "", err
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
			return s, codec.Welcome{EntityID: w.EntityId(), Zone: string(w.Zone()), TickHz: w.TickHz(), CellSize: w.CellSize(),
				SnapshotBudget: w.SnapshotBudget(), X: w.X(), Y: w.Y(), ResumeToken: bytes.Clone(w.ResumeTokenBytes()), ZoneName: string(w.ZoneName())}, gateway, nil
		default:
			s.Close(wire.DisconnectReasonProtocolError, "")
			return nil, codec.Welcome{}, "", fmt.Errorf("gateway %s: unexpected %s", gateway, m.BodyType())
		}
	}
	return nil, codec.Welcome{}, "", errors.New("connect: too many redirects")
}

// ClosedError is a gateway's refusal of a connection, with its reason.
type ClosedError struct {
	Gateway string
	Reason  wire.DisconnectReason
	Text    string
}

func (e *ClosedError) Error() string {
	return fmt.Sprintf("gateway %s closed the connection: %s: %s", e.Gateway, e.Reason, e.Text)
}

// greet sends Connect and returns the gateway's first answer.
// resumption is what a connection that resumes a lost session tells its
// gateway: the highest chat or system message number its client saw. nil:
// a new session.
type resumption struct{ lastEvent uint64 }

func greet(ctx context.Context, s *pquic.Session, gateway string, handle []byte, resume *resumption, hops int, realm string) (*wire.ServerMessage, error) {
	var last uint64
	if resume != nil {
		last = resume.lastEvent
	}
	if err := s.Send(codec.NewPlayerEncoder().Connect(handle, 0, uint8(hops), resume != nil, last, realm)); err != nil {
		s.Close(0, "")
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	b, err := s.Recv(deadline)
	if err != nil {
		s.Close(0, "")
		if reason, text, ok := pquic.CloseReason(err); ok {
			return nil, &ClosedError{Gateway: gateway, Reason: reason, Text: text}
		}
		return nil, err
	}
	var m wire.ServerMessage
	if err := codec.DecodeServerMessage(b, &m); err != nil {
		s.Close(wire.DisconnectReasonProtocolError, "")
		return nil, err
	}
	return &m, nil
}

// session returns the current connection.
func (c *Conn) session() *pquic.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}

// Gateway returns the address of the gateway the current connection is
// to.
func (c *Conn) Gateway() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gateway
}

// Welcomed returns the current connection's welcome (a reconnect may have
// brought a new entity id and resume token).
func (c *Conn) Welcomed() codec.Welcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
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
		if self, ok := c.world.Entity(c.self); ok {
			c.selfX, c.selfY = spatial.QuantizeCoord(self.X), spatial.QuantizeCoord(self.Y)
		}
		in.X, in.Y = c.selfX, c.selfY
	}
	c.seq++
	in.Seq, in.Ack = c.seq, c.world.Latest()
	in.ClientTimeMs = uint32(time.Now().UnixMilli())
	b := append([]byte(nil), c.enc.Input(&in)...)
	s := c.s
	c.mu.Unlock()
	return s.SendDatagram(b)
}

// DefaultSteerEvery is how often Steer sends an unchanged intent: the
// acknowledgement of snapshots rides on it (the gateway's deltas are
// against the newest snapshot the client acknowledged), and it is the
// client's keep-alive.
const DefaultSteerEvery = 100 * time.Millisecond

// Steer sends the player's intent the way a client should: at once when it
// changed since the last input sent (direction, heading or actions: the
// zone keeps a player's last intent, tick after tick), otherwise only when
// every has passed since the last one and a newer snapshot is there to
// acknowledge (every ≤ 0: DefaultSteerEvery). An input every tick costs
// the gateway a datagram to receive and the client one to send, 20 times
// a second, for nothing the zone does not know already. It reports
// whether it sent.
//
// Call it when a snapshot arrives (Options.OnSnapshot can signal the
// loop that steers), not on a clock of its own, as tools/swarm's bots do:
// the client then works in one burst per snapshot instead of waking twice,
// and its input leaves while QUIC's acknowledgement of the snapshot is
// pending (a quic-go that bundles it with the datagram sends one packet
// instead of two: ARCHITECTURE §3).
func (c *Conn) Steer(in codec.Input, every time.Duration) (bool, error) {
	if every <= 0 {
		every = DefaultSteerEvery
	}
	c.mu.Lock()
	prev := c.steered
	same := in.MoveX == prev.MoveX && in.MoveY == prev.MoveY && in.Heading == prev.Heading && in.Actions == prev.Actions
	since := time.Since(c.steeredAt)
	// Due: a newer snapshot to acknowledge once every has passed, or a
	// keep-alive after 8 × every whatever came.
	due := since >= every && c.world.Latest() != c.steerAck || since >= 8*every
	if same && !c.steeredAt.IsZero() && !due {
		c.mu.Unlock()
		return false, nil
	}
	c.steered, c.steeredAt, c.steerAck = in, time.Now(), c.world.Latest()
	c.mu.Unlock()
	return true, c.SendInput(in)
}

// Chat sends a chat line on a channel (codec.ChatSay, ChatZone, or
// ChatWhisper to the player named to); the zone routes it.
func (c *Conn) Chat(channel uint8, to, text string) error {
	return c.session().Send(codec.NewPlayerEncoder().ChatSend(channel, to, text))
}

// UseItem uses an item the player owns (the zone answers with its
// Inventory, or a SystemMessage saying why not).
func (c *Conn) UseItem(item uint64) error {
	return c.session().Send(codec.NewPlayerEncoder().ItemUse(item))
}

// DropItem destroys an item the player owns.
func (c *Conn) DropItem(item uint64) error {
	return c.session().Send(codec.NewPlayerEncoder().ItemDrop(item))
}

// OfferTrade offers the player named to (in the same zone) the items give
// for its items want.
func (c *Conn) OfferTrade(to string, give, want []uint64) error {
	return c.session().Send(codec.NewPlayerEncoder().TradeOffer(&codec.TradeOffer{To: to, Give: give, Want: want}))
}

// AnswerTrade accepts or declines an offer made to the player.
func (c *Conn) AnswerTrade(trade uint64, accept bool) error {
	return c.session().Send(codec.NewPlayerEncoder().TradeAnswer(trade, accept))
}

// Inventory returns the items the player owns, as the zone last said.
func (c *Conn) Inventory() []codec.InventoryItem {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]codec.InventoryItem(nil), c.inventory...)
}

// WhoIs asks the player's zone who entities it is shown are (ids from
// snapshots, any number: sent codec.MaxWhoIs a message). The zone answers
// for those the player can see; Named then returns them. Each message
// counts against the gateway's budget of requests (10 a second).
func (c *Conn) WhoIs(ids ...uint32) error {
	for len(ids) > 0 {
		n := min(len(ids), codec.MaxWhoIs)
		if err := c.session().Send(codec.NewPlayerEncoder().WhoIs(ids[:n])); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// Named returns who an entity of the player's zone is (its name, kind and
// template), once the zone answered a WhoIs about it; a Welcome forgets
// every name (ids name other entities in another zone, or after a
// restart), and past namesKept names those of entities no longer shown
// are forgotten.
func (c *Conn) Named(id uint32) (codec.Named, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.names[id]
	return n, ok
}

// Party returns the player's party, the leader first (none: no party),
// as its zone last said. A Welcome, or a reconnect through another
// gateway, ends it until the zone the player is then in tells it again (a
// party comes along through handoffs, and through crashes).
func (c *Conn) Party() []codec.PartyMember {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]codec.PartyMember(nil), c.party...)
}

// PartyElsewhere returns the members of the player's party in other zones,
// the leader first when among them, as its zone last said (the zone learns
// them from the realm node every few seconds); it ends with Party.
func (c *Conn) PartyElsewhere() []codec.PartyElsewhere {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]codec.PartyElsewhere(nil), c.partyElsewhere...)
}

// Self returns the player's own entity: the one the newest Welcome named,
// or a full-state snapshot since (after a zone change, the new zone's
// first snapshot can come before its Welcome).
func (c *Conn) Self() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.self
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

// Close ends the connection (and any reconnecting).
//
// closing is set under mu, so a reconnect that takes over a new session
// either sees it (and closes its session) or has installed the session
// this closes.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closing.Store(true)
	s := c.s
	c.mu.Unlock()
	s.Close(0, "bye")
	<-c.done
	return nil
}
