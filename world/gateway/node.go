package gateway

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
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

// Gateway is a running gateway node: it holds players' connections,
// mirrors the cells they watch and sends each player its snapshots.
//
// Gateways share the realm's players: each tells its siblings its load
// every 100 ms, and a gateway that is not the least loaded redirects a
// connecting player to the one that is.
//
// Each player's messages are budgeted per kind and second: over budget they
// are dropped and counted, far over the player is disconnected. A tick's
// snapshots are sent in groups spread over the tick, never in one burst.
// Chat goes to the zone, which routes it; the zone's events for a player
// (chat, damage, loot, system messages) come with its ticks and go out on
// the player's stream.
type Node struct {
	cfg  Config
	node *node.Node
	ln   *pquic.Listener
	log  *slog.Logger
	zenc *codec.ZoneEncoder

	metrics    *metrics
	mu         sync.Mutex // players, zones, loads; the main loop and connections share them
	players    map[uint64]*player
	zones      map[string]*zoneView
	loads      map[string]*siblingLoad
	connecting int      // players between accept and placement, counted as load
	scratch    *Scratch // where every player's snapshot is built, one at a time (under mu)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// siblingLoad is the last load another gateway reported.
type siblingLoad struct {
	players int
	public  string
	at      time.Time
}

// zoneView is what the gateway knows of one zone.
type zoneView struct {
	id       string
	mirror   *spatial.Mirror
	refs     map[uint32]int     // cell index (cy<<16|cx) -> players watching
	byNet    map[uint32]*player // this gateway's players in the zone, by entity
	cellSize int32              // 1/256 m
	inputs   []codec.ZoneInput
	terrain  *spatial.Terrain // to check moves on; nil for a map that cannot be regenerated
	speed    float32          // players' top speed, m/s
	tickLen  time.Duration
	pacer    *pacer // one per zone: zones' ticks do not wait for each other
	// What players see, by the cell their view is centred on, made once
	// per snapshot pass (pass counts them) for all who share it.
	sights map[uint64]*sight
	pass   uint64
}

// sight is what the players whose views are centred on one cell see in one
// snapshot pass (the mirrored entities of the 3 × 3 cells around it),
// gathered and sorted by ID once for all of them: in a crowd, where many
// players share a cell, doing it for each added a third to the cost of
// building their snapshots (BenchmarkGatewayPass).
type sight struct {
	pass     uint64
	entities []Entity
	keys     []uint64 // sortByID's scratch
	spare    []Entity
}

// sight returns what a player sees this pass; g.mu is held.
func (z *zoneView) sight(p *player) []Entity {
	if len(p.cells) == 0 {
		return nil
	}
	sg := z.sights[p.centre]
	if sg == nil {
		sg = &sight{}
		z.sights[p.centre] = sg
	}
	if sg.pass == z.pass {
		return sg.entities
	}
	sg.pass, sg.entities = z.pass, sg.entities[:0]
	for _, c := range p.cells {
		z.mirror.EachIn(uint16(c&0xffff), uint16(c>>16), func(e *spatial.MirrorEntity, x, y int32) {
			sg.entities = append(sg.entities, Entity{
				Held: Held{ID: e.ID, X: x, Y: y, Heading: e.Heading, Health: e.Health, Anim: e.Anim, Flags: e.Flags},
				Kind: wire.EntityKind(e.Kind), Template: e.Template, Level: e.Level})
		})
	}
	sg.entities, sg.keys, sg.spare = sortByID(sg.entities, sg.keys, sg.spare)
	return sg.entities
}

// nextPass starts a snapshot pass: sights made before are stale. Every
// 256 passes, sights no player used in the last pass are let go.
func (z *zoneView) nextPass() {
	z.pass++
	if z.pass%256 == 0 {
		for k, sg := range z.sights {
			if sg.pass < z.pass-1 {
				delete(z.sights, k)
			}
		}
	}
}

// player is one connected player.
type player struct {
	s         *pquic.Session
	character uint64
	netID     uint32
	zone      string
	view      *View
	cells     []uint32 // the cells it watches
	centre    uint64   // the cell they are around: cy<<32 | cx
	ack       atomic.Uint32
	input     atomic.Pointer[codec.Input]
	px, py    int32         // last known position, 1/256 m (main loop)
	auth      atomic.Uint64 // the same, packed, for the input goroutine
	shown     shownRing     // where its recent snapshots showed it
	events    chan []byte   // the zone's events, for writeEvents
	stalled   atomic.Bool   // its event queue overflowed: being disconnected

	// Budgets: inputs on the input goroutine, the rest on the stream's.
	inputs, chat, other *budget

	// Move validation, on the input goroutine.
	violations  float64
	lastDecay   time.Time
	lastCorrect time.Time
	// Corrections counts the corrections sent.
	Corrections atomic.Int64
}

// shownRing remembers where the player's last 64 snapshots (3.2 s) showed
// it, by sequence: the main loop writes, the input goroutine reads. A
// client without prediction claims the position of the snapshot it
// acknowledges, which under load lags the authoritative one by its round
// trip.
type shownRing struct {
	seq [64]atomic.Uint32
	pos [64]atomic.Uint64
}

func (r *shownRing) put(seq uint32, x, y int32) {
	i := seq % 64
	r.seq[i].Store(0) // readers of the old entry see it change
	r.pos[i].Store(pack(x, y))
	r.seq[i].Store(seq)
}

// get returns where snapshot seq showed the player, if still remembered.
func (r *shownRing) get(seq uint32) (x, y int32, ok bool) {
	if seq == 0 {
		return 0, 0, false
	}
	i := seq % 64
	if r.seq[i].Load() != seq {
		return 0, 0, false
	}
	v := r.pos[i].Load()
	if r.seq[i].Load() != seq {
		return 0, 0, false
	}
	x, y = unpack(v)
	return x, y, true
}

func pack(x, y int32) uint64         { return uint64(uint32(x))<<32 | uint64(uint32(y)) }
func unpack(v uint64) (int32, int32) { return int32(uint32(v >> 32)), int32(uint32(v)) }

// Start starts the gateway.
func Start(cfg Config) (*Node, error) {
	if cfg.Realm == "" || cfg.Listen == "" || cfg.TLS == nil {
		return nil, errors.New("gateway: Realm, Listen and TLS are required")
	}
	if cfg.Handshake == 0 {
		cfg.Handshake = 10 * time.Second
	}
	if cfg.Node.Role == "" {
		cfg.Node.Role = "gateway"
	}
	g := &Node{cfg: cfg, zenc: codec.NewZoneEncoder(), players: map[uint64]*player{}, zones: map[string]*zoneView{},
		loads: map[string]*siblingLoad{}, scratch: NewScratch()}
	g.log = cfg.Node.Logger
	if g.log == nil {
		g.log = slog.Default()
	}
	cfg.Node.Handler = g
	var err error
	if g.node, err = node.New(cfg.Node); err != nil {
		return nil, err
	}
	g.metrics = g.newMetrics()
	if err := g.node.Start(); err != nil {
		return nil, err
	}
	if g.ln, err = pquic.Listen(cfg.Listen, cfg.TLS); err != nil {
		g.node.Stop()
		return nil, err
	}
	if g.cfg.Public == "" {
		g.cfg.Public = g.ln.Addr().String()
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.wg.Add(2)
	go g.accept()
	go g.report()
	return g, nil
}

// Addr returns the players' address.
func (g *Node) Addr() string { return g.ln.Addr().String() }

// Node returns the gateway's node.
func (g *Node) Node() *node.Node { return g.node }

// Corrections counts the move corrections sent to the connected players.
func (g *Node) Corrections() (n int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.players {
		n += p.Corrections.Load()
	}
	return n
}

// OverBudget counts the snapshots of connected players that came out
// larger than their budget: a bug, so it must stay 0.
func (g *Node) OverBudget() (n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.players {
		n += p.view.OverBudget
	}
	return n
}

// Pacing reports how long the last tick's sends were spread over, and
// how often the main loop had to wait for the pacer.
func (g *Node) Pacing() (last time.Duration, waited int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, z := range g.zones {
		z.pacer.mu.Lock()
		last, waited = max(last, z.pacer.lastLen), waited+z.pacer.waited
		z.pacer.mu.Unlock()
	}
	return last, waited
}

// Players counts the connected players.
func (g *Node) Players() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.players)
}

// Stop disconnects every player and stops.
func (g *Node) Stop() {
	g.cancel()
	g.ln.Close()
	g.mu.Lock()
	for _, p := range g.players {
		p.s.Close(wire.DisconnectReasonShutdown, "the gateway is stopping")
	}
	g.mu.Unlock()
	g.wg.Wait()
	g.node.Stop()
	g.mu.Lock()
	for _, z := range g.zones {
		z.pacer.close()
	}
	g.mu.Unlock()
}

func (g *Node) accept() {
	defer g.wg.Done()
	for {
		in, err := g.ln.Accept(g.ctx)
		if err != nil {
			if g.ctx.Err() != nil {
				return
			}
			continue
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			s, err := in.Open(g.ctx, g.cfg.Handshake)
			if err != nil {
				return
			}
			g.serve(s)
		}()
	}
}

// serve runs one player's connection: Connect, placement, then inputs.
func (g *Node) serve(s *pquic.Session) {
	b, err := s.Recv(time.Now().Add(g.cfg.Handshake))
	if err != nil {
		s.Close(wire.DisconnectReasonProtocolError, "no connect request")
		return
	}
	var m wire.ClientMessage
	if err := codec.DecodeClientMessage(b, &m); err != nil || m.BodyType() != wire.ClientBodyConnect {
		s.Close(wire.DisconnectReasonProtocolError, "expected a connect request")
		return
	}
	var c wire.Connect
	codec.Member(m.Body, &c)
	if to := g.redirect(c.Redirects() == 0); to != "" {
		s.Send(codec.NewPlayerEncoder().Redirect(to, "a less loaded gateway"))
		s.Finish(2 * time.Second)
		return
	}
	defer func() {
		g.mu.Lock()
		g.connecting--
		g.mu.Unlock()
	}()
	placed := make(chan codec.RealmConnected, 1)
	handle := append([]byte(nil), c.SessionHandleBytes()...)
	err = g.node.Ask(g.cfg.Realm, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().Connect(handle)},
		g.cfg.Handshake, func(rm node.Message, err error) {
			var rc codec.RealmConnected
			if err == nil {
				var msg wire.RealmMessage
				if err = codec.DecodeRealmMessage(rm.Payload, len(rm.Payload)+1, &msg); err == nil && msg.BodyType() == wire.RealmBodyRealmConnected {
					var w wire.RealmConnected
					codec.Member(msg.Body, &w)
					rc = codec.ReadRealmConnected(&w)
				}
			}
			if err != nil {
				rc.Status = wire.RealmStatusUnavailable
			}
			placed <- rc
		})
	if err != nil {
		s.Close(wire.DisconnectReasonServerError, "the realm is unavailable")
		return
	}
	var rc codec.RealmConnected
	select {
	case rc = <-placed:
	case <-g.ctx.Done():
		return
	}
	switch rc.Status {
	case wire.RealmStatusOk:
	case wire.RealmStatusInvalidSession:
		s.Close(wire.DisconnectReasonSessionInvalid, rc.Message)
		return
	default:
		s.Close(wire.DisconnectReasonServerError, rc.Message)
		return
	}
	p := &player{s: s, character: rc.Entered.Character, netID: rc.Entered.NetID, zone: rc.Zone,
		view: NewView(g.cfg.Budget, g.scratch), px: rc.Entered.X, py: rc.Entered.Y, events: make(chan []byte, eventQueue)}
	p.view.Self = p.netID
	p.auth.Store(pack(p.px, p.py))
	p.inputs, p.chat, p.other = newBudget(inputsPerSecond), newBudget(chatPerSecond), newBudget(otherPerSecond)
	g.join(p, rc)
	defer g.leave(p)
	welcome := codec.Welcome{EntityID: p.netID, Zone: rc.Zone, TickHz: rc.Entered.TickHz, CellSize: rc.Entered.CellSize,
		SnapshotBudget: uint16(p.view.budget), X: rc.Entered.X, Y: rc.Entered.Y}
	if err := s.Send(codec.NewPlayerEncoder().Welcome(&welcome)); err != nil {
		return
	}
	go g.readStream(p)
	go g.writeEvents(p)
	g.readInputs(p)
}

// eventQueue is how many events may wait for a player's stream; a player
// who lets more pile up is not reading, and is disconnected.
const eventQueue = 256

// writeEvents sends the zone's events to the player, off the main loop: a
// stream under flow control must not stall every other player.
func (g *Node) writeEvents(p *player) {
	for {
		select {
		case <-p.s.Done():
			return
		case b := <-p.events:
			if p.s.Send(b) != nil {
				return
			}
		}
	}
}

// redirect returns the players' address of a sibling with fewer players
// than this gateway (the least loaded one), or "" to keep the player here,
// counted as connecting. The sibling's count goes up at once, so that a
// burst of connects does not all go to one stale figure. A player already
// redirected once (mayRedirect false) stays: load figures are up to 100 ms
// old, and two gateways could otherwise bounce a player between them.
func (g *Node) redirect(mayRedirect bool) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	mine := len(g.players) + g.connecting
	var best *siblingLoad
	for _, l := range g.loads {
		if !mayRedirect {
			break
		}
		if time.Since(l.at) < time.Second && l.players < mine && (best == nil || l.players < best.players) {
			best = l
		}
	}
	if best == nil {
		g.connecting++
		return ""
	}
	best.players++
	return best.public
}

// report tells the siblings this gateway's load, every 100 ms.
func (g *Node) report() {
	defer g.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-g.ctx.Done():
			return
		}
		g.mu.Lock()
		load := codec.GatewayLoad(uint32(len(g.players)+g.connecting), g.cfg.Public)
		g.mu.Unlock()
		for _, sib := range g.cfg.Siblings {
			g.node.Send(sib, node.Out{Kind: kinds.Gateway, Priority: node.Control, Payload: load})
		}
	}
}

// join registers a placed player and subscribes to its view.
func (g *Node) join(p *player, rc codec.RealmConnected) {
	if !g.node.Connected(rc.Zone) {
		g.node.AddPeer(rc.Zone, rc.ZoneAddr) // an error means it is dialed already
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	z := g.zones[rc.Zone]
	if z == nil {
		z = &zoneView{id: rc.Zone, mirror: spatial.NewMirror(), refs: map[uint32]int{}, byNet: map[uint32]*player{}, cellSize: int32(rc.Entered.CellSize) * spatial.PosSteps,
			terrain: zoneTerrain(rc.Entered), speed: rc.Entered.PlayerSpeed, tickLen: time.Second / time.Duration(max(rc.Entered.TickHz, 1)),
			pacer: newPacer(), sights: map[uint64]*sight{}}
		g.zones[rc.Zone] = z
	}
	g.players[p.character] = p
	z.byNet[p.netID] = p
	g.watch(z, p)
}

// watch points a player's subscriptions at the 3 × 3 cells around it;
// g.mu is held.
func (g *Node) watch(z *zoneView, p *player) {
	cx, cy := p.px/z.cellSize, p.py/z.cellSize
	centre := uint64(uint32(cy))<<32 | uint64(uint32(cx))
	if p.cells != nil && centre == p.centre {
		return
	}
	var want []uint32
	for dy := int32(-1); dy <= 1; dy++ {
		for dx := int32(-1); dx <= 1; dx++ {
			if cx+dx >= 0 && cy+dy >= 0 {
				want = append(want, uint32(cy+dy)<<16|uint32(cx+dx))
			}
		}
	}
	var add, drop []uint32
	for _, c := range want {
		if !slices.Contains(p.cells, c) {
			if z.refs[c]++; z.refs[c] == 1 {
				add = append(add, c)
			}
		}
	}
	for _, c := range p.cells {
		if !slices.Contains(want, c) {
			if z.refs[c]--; z.refs[c] == 0 {
				delete(z.refs, c)
				drop = append(drop, c)
				cxx, cyy := uint16(c&0xffff), uint16(c>>16)
				z.mirror.Drop(cxx, cyy)
			}
		}
	}
	p.cells, p.centre = want, centre
	if len(add) > 0 {
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: g.zenc.Subscribe(add)})
	}
	if len(drop) > 0 {
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: g.zenc.Unsubscribe(drop)})
	}
}

// leave forgets a disconnected player and tells the realm.
func (g *Node) leave(p *player) {
	g.mu.Lock()
	delete(g.players, p.character)
	if z := g.zones[p.zone]; z != nil {
		if z.byNet[p.netID] == p {
			delete(z.byNet, p.netID)
		}
		saved := p.cells
		p.cells = nil
		for _, c := range saved {
			if z.refs[c]--; z.refs[c] == 0 {
				delete(z.refs, c)
				z.mirror.Drop(uint16(c&0xffff), uint16(c>>16))
				g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: g.zenc.Unsubscribe([]uint32{c})})
			}
		}
	}
	g.mu.Unlock()
	g.node.Send(g.cfg.Realm, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PlayerLeft(p.character)})
	p.s.Close(0, "")
}

// readInputs takes the player's input datagrams until the connection ends:
// the newest input wins, its ack moves the snapshot baseline, and its
// claimed position is checked.
func (g *Node) readInputs(p *player) {
	g.mu.Lock()
	z := g.zones[p.zone]
	g.mu.Unlock()
	enc := codec.NewPlayerEncoder()
	for {
		b, err := p.s.RecvDatagram(g.ctx)
		if err != nil {
			return
		}
		if ok, flood := p.inputs.take(time.Now()); flood {
			g.disconnect(p, wire.DisconnectReasonMessageFlood, "far too many inputs")
			return
		} else if !ok {
			g.metrics.dropped.WithLabelValues("input").Inc()
			continue // over budget: dropped, counted
		}
		var in codec.Input
		if err := codec.ReadInput(b, &in); err != nil {
			p.s.Close(wire.DisconnectReasonProtocolError, "bad input datagram")
			return
		}
		p.ack.Store(in.Ack)
		if old := p.input.Load(); old != nil && in.Seq <= old.Seq {
			continue // an older input arrived late: the newest wins
		}
		if !g.validate(z, p, &in, enc) {
			return
		}
		p.input.Store(&in)
	}
}

// readStream reads the player's reliable messages, within their budgets:
// chat goes to the zone to route, a logout ends the connection.
func (g *Node) readStream(p *player) {
	var m wire.ClientMessage
	zenc := codec.NewZoneEncoder()
	for {
		b, err := p.s.Recv(time.Time{})
		if err != nil {
			return
		}
		if err := codec.DecodeClientMessage(b, &m); err != nil {
			g.disconnect(p, wire.DisconnectReasonProtocolError, "a message that does not decode")
			return
		}
		bud, kind := p.other, "other"
		if m.BodyType() == wire.ClientBodyChatSend {
			bud, kind = p.chat, "chat"
		}
		ok, flood := bud.take(time.Now())
		switch {
		case flood:
			g.disconnect(p, wire.DisconnectReasonMessageFlood, "far too many messages")
			return
		case !ok:
			g.metrics.dropped.WithLabelValues(kind).Inc()
			continue
		}
		switch m.BodyType() {
		case wire.ClientBodyChatSend:
			var c wire.ChatSend
			codec.Member(m.Body, &c)
			g.node.Send(p.zone, node.Out{Kind: kinds.Zone, Priority: node.Gameplay,
				Payload: zenc.Chat(p.character, c.Channel(), string(c.To()), string(c.Text()))})
		case wire.ClientBodyLogout:
			p.s.Close(0, "logged out")
			return
		case wire.ClientBodyLoginRequest, wire.ClientBodyConnect:
			g.disconnect(p, wire.DisconnectReasonProtocolError, "already connected")
			return
		}
	}
}

// disconnect tells the player why, then closes its connection.
func (g *Node) disconnect(p *player, reason wire.DisconnectReason, text string) {
	g.metrics.disconnects.WithLabelValues(reason.String()).Inc()
	p.s.Send(codec.NewPlayerEncoder().Disconnect(reason, text))
	p.s.Close(reason, text)
}

// judge checks a claimed position against the authoritative one and, for a
// lagging client, against where the snapshot it acknowledges showed it.
// Claims move no one (the zone moves players by intent), so the second
// chance lets no cheat further; it spares honest clients under load.
func (p *player) judge(z *zoneView, in *codec.Input) moveCheck {
	ax, ay := unpack(p.auth.Load())
	check := checkMove(z.terrain, ax, ay, in.X, in.Y, z.speed)
	if check == moveTooFar {
		if sx, sy, ok := p.shown.get(in.Ack); ok {
			check = checkMove(z.terrain, sx, sy, in.X, in.Y, z.speed)
		}
	}
	return check
}

// validate checks a claimed position; it reports false when the player was
// disconnected for too many violations.
func (g *Node) validate(z *zoneView, p *player, in *codec.Input, enc *codec.PlayerEncoder) bool {
	now := time.Now()
	if !p.lastDecay.IsZero() {
		p.violations = max(0, p.violations-now.Sub(p.lastDecay).Seconds())
	}
	p.lastDecay = now
	check := p.judge(z, in)
	if check == moveOK {
		return true
	}
	ax, ay := unpack(p.auth.Load())
	p.violations++
	if p.violations > violationLimit {
		sx, sy, _ := p.shown.get(in.Ack)
		g.log.Warn("gateway: disconnecting a player for impossible moves", "character", p.character, "check", check,
			"claim", fmt.Sprintf("(%.2f, %.2f)", float64(in.X)/256, float64(in.Y)/256),
			"authoritative", fmt.Sprintf("(%.2f, %.2f)", float64(ax)/256, float64(ay)/256),
			"acked", in.Ack, "acked_showed", fmt.Sprintf("(%.2f, %.2f)", float64(sx)/256, float64(sy)/256))
		g.disconnect(p, wire.DisconnectReasonMovementViolations, "too many impossible moves")
		return false
	}
	if now.Sub(p.lastCorrect) >= correctEvery*time.Millisecond {
		p.lastCorrect = now
		p.Corrections.Add(1)
		g.metrics.corrections.Inc()
		p.s.Send(enc.Correction(ax, ay, in.Seq))
	}
	return true
}

// HandlePeer: zones and the realm come and go.
func (g *Node) HandlePeer(*node.Node, node.PeerEvent) {}

// HandleMessage takes a zone's tick: it updates the mirror, then sends
// each of the zone's players its snapshot and forwards their inputs.
func (g *Node) HandleMessage(_ *node.Node, m node.Message) {
	if m.Kind == kinds.Gateway {
		g.sibling(m)
		return
	}
	if m.Kind != kinds.Zone {
		return
	}
	var msg wire.ZoneMessage
	if err := codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg); err != nil || msg.BodyType() != wire.ZoneBodyZoneTick {
		return
	}
	var tick wire.ZoneTick
	codec.Member(msg.Body, &tick)
	g.mu.Lock()
	defer g.mu.Unlock()
	z := g.zones[m.From]
	if z == nil {
		return
	}
	var cell wire.ZoneCell
	var ch spatial.CellChanges
	for i := 0; i < tick.CellsLength(); i++ {
		tick.Cells(&cell, i)
		if err := codec.ReadCellDelta(cell.DeltaBytes(), 1<<20, &ch); err != nil {
			g.log.Warn("gateway: bad cell delta from zone", "zone", m.From, "err", err)
			continue
		}
		if err := z.mirror.Apply(&ch); err != nil {
			// Out of step: forget the cell and subscribe again for full state.
			g.log.Debug("gateway: cell out of step, asking for it whole", "zone", m.From, "err", err)
			z.mirror.Drop(ch.CX, ch.CY)
			c := uint32(ch.CY)<<16 | uint32(ch.CX)
			g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: g.zenc.Unsubscribe([]uint32{c})})
			g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: g.zenc.Subscribe([]uint32{c})})
		}
	}
	// Events for players go out on their streams, by their writers.
	var ev wire.ZonePlayerEvent
	var sm wire.ServerMessage
	for i := 0; i < tick.EventsLength(); i++ {
		tick.Events(&ev, i)
		p := g.players[ev.Character()]
		if p == nil || p.zone != z.id {
			continue
		}
		b := ev.MessageBytes()
		if codec.DecodeServerMessage(b, &sm) != nil {
			g.log.Warn("gateway: an event from the zone does not decode", "zone", m.From)
			continue
		}
		select {
		case p.events <- append([]byte(nil), b...):
			g.metrics.events.Inc()
		default:
			g.metrics.eventsDropped.Inc()
			// Not reading its stream: the close carries the reason (a
			// Disconnect message would wait behind the rest).
			if p.stalled.CompareAndSwap(false, true) {
				g.metrics.disconnects.WithLabelValues("EventsNotRead").Inc()
				go p.s.Close(wire.DisconnectReasonProtocolError, "events are not being read")
			}
		}
	}
	// Players the zone says changed cells: their views move there, even
	// far from the cells mirrored so far (a respawn).
	var at wire.ZonePlayerAt
	for i := 0; i < tick.PlayersLength(); i++ {
		tick.Players(&at, i)
		if p := z.byNet[at.NetId()]; p != nil {
			p.px, p.py = at.X(), at.Y()
			p.auth.Store(pack(p.px, p.py))
			g.watch(z, p)
		}
	}
	b := z.pacer.begin(z.tickLen)
	defer z.pacer.commit(b)
	g.pass(z, b, tick.Tick(), tick.TickUnixMs())
	if len(z.inputs) > 0 {
		g.node.Send(z.id, node.Out{Kind: kinds.Zone, Priority: node.Gameplay, Payload: g.zenc.Inputs(z.inputs)})
	}
}

// pass builds the snapshot of every player in the zone into the tick's
// batch, and takes their newest inputs for the zone; g.mu is held.
func (g *Node) pass(z *zoneView, b *batch, tick uint32, tickUnixMs int64) {
	z.inputs = z.inputs[:0]
	z.nextPass()
	for _, p := range g.players {
		if p.zone != z.id {
			continue
		}
		g.snapshot(z, p, b, tick, tickUnixMs)
		if in := p.input.Swap(nil); in != nil {
			z.inputs = append(z.inputs, codec.ZoneInput{Character: p.character, X: in.X, Y: in.Y, Seq: in.Seq, Actions: in.Actions,
				MoveX: in.MoveX, MoveY: in.MoveY, Heading: in.Heading})
		}
	}
}

// snapshot builds one player's datagram into the tick's batch; g.mu is
// held.
func (g *Node) snapshot(z *zoneView, p *player, b *batch, tick uint32, tickUnixMs int64) {
	visible := z.sight(p)
	if i, ok := slices.BinarySearchFunc(visible, p.netID, func(e Entity, id uint32) int { return cmp.Compare(e.ID, id) }); ok {
		p.px, p.py = visible[i].X, visible[i].Y // where the zone has it
		p.auth.Store(pack(p.px, p.py))
	}
	p.view.Ack(p.ack.Load())
	out := p.view.Build(visible, p.px, p.py, tick, tickUnixMs)
	g.metrics.snapshots.Inc()
	g.metrics.snapshotBytes.Add(float64(len(out)))
	if len(out) > p.view.budget {
		g.metrics.overBudget.Inc()
	}
	b.add(p.s, out)
	p.shown.put(p.view.Seq(), p.px, p.py)
	g.watch(z, p) // the player may have walked into another cell
}

// sortByID sorts entities by ID (stably), as View.Build wants them. It
// sorts packed (ID, index) keys, then moves each entity once: 1.5 µs for
// 150 entities, against 11.5 µs for sorting the 24-byte entities with a
// comparison function, which was 6% of a loaded gateway's CPU
// (BenchmarkSortByID, BenchmarkSortFunc). keys and spare are scratch; it
// returns the sorted entities and the scratch to keep.
func sortByID(es []Entity, keys []uint64, spare []Entity) ([]Entity, []uint64, []Entity) {
	keys = keys[:0]
	sorted := true
	for i := range es {
		keys = append(keys, uint64(es[i].ID)<<32|uint64(i))
		if i > 0 && es[i].ID < es[i-1].ID {
			sorted = false
		}
	}
	if sorted {
		return es, keys, spare
	}
	slices.Sort(keys)
	spare = spare[:0]
	for _, k := range keys {
		spare = append(spare, es[uint32(k)])
	}
	return spare, keys, es
}

// sibling records another gateway's load.
func (g *Node) sibling(m node.Message) {
	var msg wire.GatewayMessage
	if err := codec.DecodeGatewayMessage(m.Payload, len(m.Payload)+1, &msg); err != nil || msg.BodyType() != wire.GatewayBodyGatewayLoad {
		return
	}
	var l wire.GatewayLoad
	codec.Member(msg.Body, &l)
	g.mu.Lock()
	g.loads[m.From] = &siblingLoad{players: int(l.Players()), public: string(l.Public()), at: time.Now()}
	g.mu.Unlock()
}
