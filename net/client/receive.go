package client

import (
	"bytes"
	"context"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// receive applies snapshot datagrams until the connection ends for good:
// a lost connection that Options.Reconnect brings back goes on.
func (c *Conn) receive() {
	defer close(c.done)
	for {
		err := c.receiveFrom(c.session())
		if !c.reconnect(err) {
			// The close carries the gateway's reason: counted before Done,
			// whichever of the stream and the datagrams saw the end first.
			if reason, _, ok := pquic.CloseReason(err); ok && reason != 0 {
				c.mu.Lock()
				if c.Stats.Disconnect == 0 {
					c.Stats.Disconnect = reason
				}
				c.mu.Unlock()
			}
			c.err = err
			return
		}
	}
}

// receiveFrom applies one connection's snapshot datagrams until it ends.
func (c *Conn) receiveFrom(s *pquic.Session) error {
	for {
		b, err := s.RecvDatagram(context.Background())
		if err != nil {
			return err
		}
		c.mu.Lock()
		if c.opts.DropRate > 0 && c.drop.Float64() < c.opts.DropRate {
			c.Stats.Dropped++
			c.mu.Unlock()
			continue
		}
		c.Stats.Bytes += len(b)
		c.Stats.MaxDatagram = max(c.Stats.MaxDatagram, len(b))
		if budget := int(c.cur.SnapshotBudget); budget > 0 && len(b) > budget {
			c.Stats.OverBudget++
		}
		if err := codec.ReadSnapshot(b, &c.snap); err == nil {
			c.Stats.Snapshots++
			applyErr := c.world.Apply(&c.snap)
			if applyErr != nil {
				c.Stats.Skipped++
			} else if c.snap.Baseline == 0 && c.snap.Self != 0 && c.world.Latest() == c.snap.Seq {
				c.self = c.snap.Self // before its Welcome, after a zone change
			}
			if c.opts.OnSnapshot != nil {
				c.opts.OnSnapshot(&c.snap, len(b), applyErr, &c.world)
			}
		}
		c.mu.Unlock()
	}
}

// events reads one connection's reliable stream: game events,
// corrections and disconnect reasons.
func (c *Conn) events(s *pquic.Session) {
	var m wire.ServerMessage
	var zoneChange func() // to call once mu is released
	for {
		b, err := s.Recv(time.Time{})
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
			var ch wire.Chat
			codec.Member(m.Body, &ch)
			c.lastEvent = max(c.lastEvent, ch.Seq())
		case wire.ServerBodyDamage:
			c.Stats.Damages++
		case wire.ServerBodyLoot:
			c.Stats.Loots++
		case wire.ServerBodyInventory, wire.ServerBodyParty, wire.ServerBodyTradeOffered, wire.ServerBodyTradeResult, wire.ServerBodyNames:
			c.heldEvent(&m)
		case wire.ServerBodySystemMessage:
			c.Stats.SystemMessages++
			var sm wire.SystemMessage
			codec.Member(m.Body, &sm)
			c.lastEvent = max(c.lastEvent, sm.Seq())
		case wire.ServerBodyCorrection:
			var w wire.Correction
			codec.Member(m.Body, &w)
			c.Stats.Corrections++
			c.Stats.CorrectX, c.Stats.CorrectY = w.X(), w.Y()
		case wire.ServerBodyWelcome:
			zoneChange = c.welcomed(&m)
		case wire.ServerBodyDisconnect:
			var w wire.Disconnect
			codec.Member(m.Body, &w)
			c.Stats.Disconnect = w.Reason()
		}
		tooks := c.tooks
		c.tooks = c.tooks[:0]
		c.mu.Unlock()
		if zoneChange != nil { // outside mu: it may read the connection
			zoneChange()
			zoneChange = nil
		}
		if fn := c.opts.OnNamed; fn != nil {
			for _, d := range tooks {
				fn(d)
			}
		}
	}
}

// heldEvent keeps what the zone says the player holds (its inventory, its
// party) or told it (names), and counts trades; mu is held.
func (c *Conn) heldEvent(m *wire.ServerMessage) {
	switch m.BodyType() {
	case wire.ServerBodyInventory:
		var inv wire.Inventory
		codec.Member(m.Body, &inv)
		c.inventory = codec.ReadInventory(&inv)
	case wire.ServerBodyParty:
		var w wire.Party
		codec.Member(m.Body, &w)
		c.party, c.partyElsewhere = codec.ReadParty(&w), codec.ReadPartyElsewhere(&w)
		c.lastEvent = max(c.lastEvent, w.Seq())
	case wire.ServerBodyNames:
		var w wire.Names
		codec.Member(m.Body, &w)
		if c.names == nil {
			c.names = map[uint32]codec.Named{}
		}
		var got [codec.MaxWhoIs]codec.Named
		for _, n := range codec.ReadNames(&w, got[:0]) {
			if n.Renames() { // a content reload renamed a template
				c.rename(n)
				continue
			}
			c.names[n.ID] = n
			c.named(n)
		}
		c.forgetNames()
	case wire.ServerBodyTradeOffered:
		c.Stats.TradesOffered++
	case wire.ServerBodyTradeResult:
		var r wire.TradeResult
		codec.Member(m.Body, &r)
		switch r.Status() {
		case wire.TradeStatusDone:
			c.Stats.TradesDone++
		case wire.TradeStatusFailed, wire.TradeStatusExpired:
			c.Stats.TradesFailed++
		}
	}
}

// namesKept bounds the names a connection keeps: past it, those of
// entities it is no longer shown are forgotten (in a long stay in one
// zone, every NPC that respawns comes back under a new id).
const namesKept = 4096

// forgetNames forgets, past namesKept, the names of entities not in the
// newest view; mu is held.
func (c *Conn) forgetNames() {
	if len(c.names) <= namesKept {
		return
	}
	for id := range c.names {
		if _, shown := c.world.Entity(id); !shown {
			delete(c.names, id)
		}
	}
}

// welcomed takes a Welcome on a live connection: the zone restarted and
// took the player back, or a handoff moved it to another zone, under a new
// entity. It returns the OnZoneChange call to make once mu is released
// (nil: none); mu is held.
func (c *Conn) welcomed(m *wire.ServerMessage) (zoneChange func()) {
	var w wire.Welcome
	codec.Member(m.Body, &w)
	from := c.cur.Zone
	c.cur.EntityID, c.cur.X, c.cur.Y, c.cur.Zone, c.cur.ZoneName = w.EntityId(), w.X(), w.Y(), string(w.Zone()), string(w.ZoneName())
	if t := w.ResumeTokenBytes(); len(t) > 0 {
		c.cur.ResumeToken = bytes.Clone(t)
	}
	c.selfX, c.selfY, c.self = w.X(), w.Y(), w.EntityId()
	c.party, c.partyElsewhere = nil, nil // until the zone tells it again
	c.names, c.asked = nil, nil          // the new zone's ids name other entities
	c.Stats.Rewelcomes++
	if c.cur.Zone != from {
		c.Stats.ZoneChanges++
		if fn := c.opts.OnZoneChange; fn != nil {
			cur := c.cur
			zoneChange = func() { fn(from, cur.Zone, cur) }
		}
	}
	return zoneChange
}
