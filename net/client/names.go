package client

import (
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
)

// Asking names. Snapshots show entities by id, kind and template; who an
// entity is (a player's character name, an NPC's) is told on asking
// (WhoIs, answered by Names). AskNames is what a client that labels what
// it draws does: it asks about the entities it is shown and cannot name,
// as they come into view.
const (
	// askNamesEvery is the least time between two of AskNames' questions:
	// four a second, within the gateway's budget of ten requests a second
	// that item uses and trades share.
	askNamesEvery = 250 * time.Millisecond
	// askAgainAfter is how long AskNames waits for an answer before it asks
	// about an entity again: the zone does not answer for an entity the
	// player no longer sees, which may come back into view.
	askAgainAfter = 2 * time.Second
)

// AskNames asks the player's zone who the entities of the newest view are
// that the connection has no name for (itself aside), at most codec.MaxWhoIs
// of them, once every askNamesEvery at most, each again only after
// askAgainAfter. Named has the answers, Options.OnNamed hears how long each
// took, and Stats counts them. It returns how many entities it asked about.
// Call it as often as convenient, from any goroutine (a render loop, each
// snapshot).
func (c *Conn) AskNames() (int, error) {
	var ids [codec.MaxWhoIs]uint32
	n := c.unnamed(time.Now(), ids[:0])
	if len(n) == 0 {
		return 0, nil
	}
	return len(n), c.WhoIs(n...)
}

// unnamed returns, into ids, the entities AskNames asks about at now, and
// notes them asked.
func (c *Conn) unnamed(now time.Time, ids []uint32) []uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.lastAsk) < askNamesEvery {
		return ids
	}
	if c.asked == nil {
		c.asked = map[uint32]time.Time{}
	}
	for id, at := range c.asked {
		if now.Sub(at) >= askAgainAfter {
			delete(c.asked, id) // unanswered: asked again while still shown
		}
	}
	c.world.Each(func(e Entity) {
		if len(ids) == codec.MaxWhoIs || e.ID == c.self {
			return
		}
		_, known := c.names[e.ID]
		_, waiting := c.asked[e.ID]
		if !known && !waiting {
			ids = append(ids, e.ID)
		}
	})
	if len(ids) > 0 {
		c.lastAsk = now
		for _, id := range ids {
			c.asked[id] = now
		}
		c.Stats.NamesAsked += len(ids)
	}
	return ids
}

// named notes a name told: an answer to AskNames (its time kept for
// OnNamed), and whether it agrees with what the newest view shows under
// its id; mu is held.
func (c *Conn) named(n codec.Named) {
	if at, ok := c.asked[n.ID]; ok {
		delete(c.asked, n.ID)
		c.Stats.NamesTold++
		if c.opts.OnNamed != nil {
			c.tooks = append(c.tooks, time.Since(at))
		}
	}
	if e, ok := c.world.Entity(n.ID); ok && (e.Kind != n.Kind || e.Template != n.Template) {
		c.Stats.NamesMismatched++
	}
}

// rename gives the names kept of a template a content reload renamed its
// new name (a Names entry of id 0: the zone tells it to every player in
// it); mu is held.
func (c *Conn) rename(r codec.Named) {
	for id, n := range c.names {
		if r.Renamed(n) {
			n.Name = r.Name
			c.names[id] = n
			c.Stats.NamesRenamed++
		}
	}
}
