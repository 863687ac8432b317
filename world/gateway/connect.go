package gateway

import (
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

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
	b, err := s.Recv(g.clock.Now().Add(g.cfg.Handshake))
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
	if to := g.redirect(c.Redirects() == 0 && !c.Resume()); to != "" {
		s.Send(codec.NewPlayerEncoder().Redirect(to, "a less loaded gateway"))
		s.Finish(2 * time.Second)
		return
	}
	// Counted as connecting until it joins (join moves it to the players
	// under the same lock) or its placement fails.
	joined := false
	defer func() {
		if !joined {
			g.mu.Lock()
			g.connecting--
			g.mu.Unlock()
		}
	}()
	realm, known := g.realmNode(string(c.Realm()))
	if !known {
		s.Close(wire.DisconnectReasonSessionInvalid, "this gateway serves no realm "+string(c.Realm()))
		return
	}
	kind := "new"
	if c.Resume() {
		kind = "resume"
	}
	rc, ok := g.place(s, c.SessionHandleBytes(), realm)
	if !ok {
		g.metrics.connects.WithLabelValues(kind, "realm_unreachable").Inc()
		return
	}
	g.metrics.connects.WithLabelValues(kind, rc.Status.String()).Inc()
	if rc.Status != wire.RealmStatusOk && c.Resume() {
		// A player coming back who cannot: worth a line, it loses its session.
		g.log.Warn("gateway: a resume was refused", "status", rc.Status, "why", rc.Message)
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
	p := &player{s: s, character: rc.Entered.Character, netID: rc.Entered.NetID, zone: rc.Zone, realm: realm,
		view: NewView(g.cfg.Budget, g.scratch), px: rc.Entered.X, py: rc.Entered.Y, events: make(chan []byte, eventQueue)}
	p.view.Self = p.netID
	p.selfWait = selfWait // a login's entity may come with the zone's next tick
	p.resume, p.account = rc.ResumeToken, rc.Account
	p.auth.Store(pack(p.px, p.py))
	p.inputs, p.chat, p.other = newBudget(inputsPerSecond), newBudget(chatPerSecond), newBudget(otherPerSecond)
	p.replaying = c.Resume() // its zone's events wait for what it missed (replay.go)
	g.join(p, rc)
	joined = true
	defer g.leave(p)
	welcome := codec.Welcome{EntityID: p.netID, Zone: rc.Zone, TickHz: rc.Entered.TickHz, CellSize: rc.Entered.CellSize, ResumeToken: rc.ResumeToken,
		SnapshotBudget: uint16(p.view.budget), X: rc.Entered.X, Y: rc.Entered.Y, ZoneName: rc.Entered.ZoneName}
	if err := s.Send(codec.NewPlayerEncoder().Welcome(&welcome)); err != nil {
		return
	}
	if c.Resume() {
		g.replay(p, rc.Zone, c.LastEvent()) // back after its gateway died
	}
	go g.readStream(p)
	go g.writeEvents(p)
	g.readInputs(p)
}

// place asks the realm to place the session (a session handle or a resume
// token); false when the realm cannot answer (the connection is closed) or
// the gateway stops.
func (g *Node) place(s *pquic.Session, handle []byte, realm string) (rc codec.RealmConnected, ok bool) {
	placed := make(chan codec.RealmConnected, 1)
	handle = append([]byte(nil), handle...)
	err := g.node.Ask(realm, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().Connect(handle)},
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
		return rc, false
	}
	select {
	case rc = <-placed:
		return rc, true
	case <-g.ctx.Done():
		return rc, false
	}
}

// join registers a placed player, no longer counted as connecting, and
// subscribes to its view.
func (g *Node) join(p *player, rc codec.RealmConnected) {
	if !g.node.Connected(rc.Zone) {
		g.node.AddPeer(rc.Zone, rc.ZoneAddr) // an error means it is dialed already
	}
	g.cpu.joined(g.clock.Now())
	rules := g.maps.rules(rc.Entered)
	g.mu.Lock()
	defer g.mu.Unlock()
	z := g.zoneFor(rc.Zone, rc.Entered, rules)
	p.zv.Store(z)
	if old := g.players[p.key()]; old != nil && old != p {
		// The same character connected again (a client that reconnected
		// before its old connection timed out): the newer one wins.
		old.replaced.Store(true)
		go g.disconnect(old, wire.DisconnectReasonReplaced, "your character connected again")
	}
	g.players[p.key()] = p
	g.connecting--
	z.byNet[p.netID] = p
	g.watch(z, p)
	if !p.replaying { // a resumed player's wait for what it missed (replay.go)
		g.takeEarly(z, p)
	}
}

// leave forgets a disconnected player and tells the realm, unless a newer
// connection of the same character replaced it.
func (g *Node) leave(p *player) {
	g.mu.Lock()
	current := g.players[p.key()] == p
	if current {
		delete(g.players, p.key())
	}
	if z := g.zones[p.zone]; z != nil {
		if z.byNet[p.netID] == p {
			delete(z.byNet, p.netID)
		}
		g.unwatch(z, p)
	}
	g.mu.Unlock()
	if current {
		left := codec.NewRealmEncoder().PlayerLeft(p.character)
		if p.kicked.Load() {
			left = codec.NewRealmEncoder().PlayerKicked(p.character)
		}
		g.node.Send(p.realm, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: left})
	}
	p.s.Close(0, "")
}
