package zone

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Players' items and trades. A player's requests (ItemUse, ItemDrop,
// TradeOffer, TradeAnswer) come through its gateway as the player sent
// them; the zone judges them against the items it holds for the player
// (loaded with the character, changed only as the db acknowledges) and
// the content's item templates. A trade is an offer, then the other
// player's accept, then one db transaction that moves both sides' items,
// fenced by both players' epochs: it happens whole or not at all, and a
// crash at any point leaves every item with exactly one owner. Items in a
// trade the db is carrying out are locked: not used, dropped or offered
// again until it answers.

// TradeTimeout is how long an offer waits for its answer, and
// MaxOffersWaiting how many of one player's may wait at once (one player
// cannot fill the zone's table of trades).
const (
	TradeTimeout     = 30 * time.Second
	MaxOffersWaiting = 4
)

// trade is an offer waiting for its answer, or in the db.
type trade struct {
	id         uint64
	from, to   uint64 // characters
	give, want []uint64
	expires    time.Time
	inDB       bool
}

// request handles a player's forwarded request.
func (zn *Node) request(from string, character uint64, message []byte) {
	p := zn.players[character]
	if p == nil || p.gateway != from {
		return
	}
	var m wire.ClientMessage
	if err := codec.DecodeClientMessage(message, &m); err != nil {
		return // the gateway checked it: a zone sees none but by a bug
	}
	switch m.BodyType() {
	case wire.ClientBodyItemUse:
		var u wire.ItemUse
		codec.Member(m.Body, &u)
		zn.useItem(p, u.Item())
	case wire.ClientBodyItemDrop:
		var d wire.ItemDrop
		codec.Member(m.Body, &d)
		if _, ok := p.items[d.Item()]; !ok || zn.locked(p, d.Item()) {
			zn.Tell(p.entity, fmt.Sprintf("You have no item %d to drop.", d.Item()))
			return
		}
		zn.destroy(p, d.Item())
	case wire.ClientBodyTradeOffer:
		var o wire.TradeOffer
		codec.Member(m.Body, &o)
		zn.offer(p, codec.ReadTradeOffer(&o))
	case wire.ClientBodyTradeAnswer:
		var a wire.TradeAnswer
		codec.Member(m.Body, &a)
		zn.answer(p, a.Trade(), a.Accept())
	case wire.ClientBodyWhoIs:
		var w wire.WhoIs
		codec.Member(m.Body, &w)
		zn.whoIs(p, codec.ReadWhoIs(&w, zn.asked[:0]))
	}
}

// useItem runs a usable item's effect (a consumed one is destroyed once
// its handler succeeds).
func (zn *Node) useItem(p *player, id uint64) {
	got, owned := p.items[id]
	e := zn.scripts.Load()
	def := e.Content().ItemByID(got.Template)
	switch {
	case !owned || zn.locked(p, id):
		zn.Tell(p.entity, fmt.Sprintf("You have no item %d to use now.", id))
	case def == nil || !def.Usable:
		zn.Tell(p.entity, "That item cannot be used.")
	default:
		// In use until its handler ran: not used, dropped or traded twice.
		if p.using == nil {
			p.using = map[uint64]bool{}
		}
		p.using[id] = true
		if !e.UseItem(p.entity, id, def, func(bool) { delete(p.using, id) }) {
			delete(p.using, id)
			zn.Tell(p.entity, "That item cannot be used now.")
		}
	}
}

// locked reports whether a player's item is being used, or is in a trade
// the db is carrying out.
func (zn *Node) locked(p *player, item uint64) bool {
	if p.using[item] {
		return true
	}
	for _, t := range zn.trades {
		if t.inDB && (slices.Contains(t.give, item) || slices.Contains(t.want, item)) {
			return true
		}
	}
	return false
}

// tradable checks that p owns every item, each tradable and unlocked.
func (zn *Node) tradable(p *player, items []uint64) error {
	set := zn.scripts.Load().Content()
	for i, id := range items {
		got, ok := p.items[id]
		switch {
		case !ok:
			return fmt.Errorf("%s has no item %d", p.name, id)
		case zn.locked(p, id):
			return fmt.Errorf("item %d is in another trade", id)
		case slices.Contains(items[:i], id):
			return fmt.Errorf("item %d is named twice", id)
		}
		if def := set.ItemByID(got.Template); def == nil || !def.Tradable {
			return fmt.Errorf("item %d cannot be traded", id)
		}
	}
	return nil
}

func (zn *Node) tradeResult(character, trade uint64, status wire.TradeStatus, text string) {
	zn.event(character, bytes.Clone(zn.penc.TradeResult(trade, status, text)))
}

// offer checks an offer and passes it to the other player.
func (zn *Node) offer(p *player, o codec.TradeOffer) {
	var to *player
	for _, q := range zn.players {
		if strings.EqualFold(q.name, o.To) {
			to = q
		}
	}
	err := func() error {
		switch {
		case to == nil:
			return fmt.Errorf("no one called %s is in this zone", o.To)
		case to == p:
			return fmt.Errorf("a trade takes two")
		case len(o.Give)+len(o.Want) == 0 || len(o.Give) > codec.MaxTradeItems || len(o.Want) > codec.MaxTradeItems:
			return fmt.Errorf("a trade gives or asks 1 to %d items a side", codec.MaxTradeItems)
		case len(zn.trades) >= 10000:
			return fmt.Errorf("too many trades wait in this zone")
		case zn.offersFrom(p.character) >= MaxOffersWaiting:
			return fmt.Errorf("%d of your offers wait for an answer already", MaxOffersWaiting)
		}
		if err := zn.tradable(p, o.Give); err != nil {
			return err
		}
		return zn.tradable(to, o.Want)
	}()
	if err != nil {
		zn.tradeResult(p.character, 0, wire.TradeStatusFailed, err.Error())
		return
	}
	zn.nextTrade++
	t := &trade{id: zn.nextTrade, from: p.character, to: to.character, give: o.Give, want: o.Want, expires: zn.clock.Now().Add(TradeTimeout)}
	zn.trades[t.id] = t
	off := codec.TradeOffered{Trade: t.id, From: p.name, Give: p.inventory(o.Give), Want: to.inventory(o.Want), ExpiresMs: uint32(TradeTimeout / time.Millisecond)}
	zn.event(to.character, bytes.Clone(zn.penc.TradeOffered(&off)))
	zn.tradeResult(p.character, t.id, wire.TradeStatusOffered, "offered to "+to.name)
}

// offersFrom counts the trades a player offered that have not ended.
func (zn *Node) offersFrom(character uint64) int {
	n := 0
	for _, t := range zn.trades {
		if t.from == character {
			n++
		}
	}
	return n
}

// answer carries out or drops an offer its target answered.
func (zn *Node) answer(p *player, id uint64, accept bool) {
	t := zn.trades[id]
	if t == nil || t.to != p.character || t.inDB {
		zn.tradeResult(p.character, id, wire.TradeStatusFailed, "no such offer is waiting for you")
		return
	}
	if !accept {
		delete(zn.trades, id)
		zn.tradeResult(t.from, id, wire.TradeStatusDeclined, p.name+" declined")
		zn.tradeResult(t.to, id, wire.TradeStatusDeclined, "declined")
		return
	}
	from := zn.players[t.from]
	err := func() error {
		if from == nil {
			return fmt.Errorf("the other player left the zone")
		}
		if err := zn.tradable(from, t.give); err != nil {
			return err
		}
		return zn.tradable(p, t.want)
	}()
	if err != nil {
		delete(zn.trades, id)
		zn.tradeResult(t.from, id, wire.TradeStatusFailed, err.Error())
		zn.tradeResult(t.to, id, wire.TradeStatusFailed, err.Error())
		return
	}
	t.inDB = true
	req := codec.DbRequest{Op: wire.DbOpDbTradeItems, From: t.from, Epoch: from.epoch, FromItems: t.give, To: t.to, ToEpoch: p.epoch, ToItems: t.want}
	err = zn.db.Do(req, func(_ codec.DbReply, err error) { zn.traded(t, err) })
	if err != nil {
		zn.traded(t, err)
		return
	}
	zn.fault("trade-after-request")
}

// traded ends a trade the db answered: on success both sides' items
// change hands here as they did in the db; otherwise both players'
// items are read again (the db is the truth).
func (zn *Node) traded(t *trade, err error) {
	delete(zn.trades, t.id)
	a, b := zn.players[t.from], zn.players[t.to]
	if err != nil {
		zn.metrics.trades.WithLabelValues("failed").Inc()
		zn.log.Info("zone: trade refused", "trade", t.id, "from", t.from, "to", t.to, "err", err)
		for _, c := range []uint64{t.from, t.to} {
			zn.tradeResult(c, t.id, wire.TradeStatusFailed, "the trade did not happen: "+err.Error())
			if p := zn.players[c]; p != nil {
				zn.reloadItems(p)
			}
		}
		return
	}
	zn.metrics.trades.WithLabelValues("done").Inc()
	if a == nil || b == nil {
		// One side left while the db worked: the one still here reads its
		// items from the db.
		for _, p := range []*player{a, b} {
			if p != nil {
				zn.tradeResult(p.character, t.id, wire.TradeStatusDone, "done")
				zn.reloadItems(p)
			}
		}
		return
	}
	move := func(from, to *player, ids []uint64, owner uint64) {
		for _, id := range ids {
			it := from.items[id]
			delete(from.items, id)
			it.ID, it.Owner = id, owner
			to.items[id] = it
		}
	}
	move(a, b, t.give, t.to)
	move(b, a, t.want, t.from)
	for _, p := range []*player{a, b} {
		zn.tradeResult(p.character, t.id, wire.TradeStatusDone, "done")
		zn.sendInventory(p)
	}
}

// reloadItems reads a player's items from the db again.
func (zn *Node) reloadItems(p *player) {
	character := p.character
	zn.db.Do(codec.DbRequest{Op: wire.DbOpDbListItems, Owner: character}, func(r codec.DbReply, err error) {
		q := zn.players[character]
		if err != nil || q == nil {
			return
		}
		q.items = make(map[uint64]codec.DbItem, len(r.Items))
		for _, it := range r.Items {
			q.items[it.ID] = it
		}
		zn.sendInventory(q)
	})
}

// sendInventory sends the player everything it owns.
func (zn *Node) sendInventory(p *player) {
	ids := p.sortedItems()
	zn.event(p.character, bytes.Clone(zn.penc.Inventory(p.inventory(ids))))
}

// inventory lists the given items of the player.
func (p *player) inventory(ids []uint64) []codec.InventoryItem {
	out := make([]codec.InventoryItem, 0, len(ids))
	for _, id := range ids {
		if it, ok := p.items[id]; ok {
			out = append(out, codec.InventoryItem{ID: id, Template: it.Template, Count: it.Count})
		}
	}
	if len(out) > codec.MaxInventory {
		out = out[:codec.MaxInventory]
	}
	return out
}

// expireTrades drops the offers that waited too long (a tick system).
func (zn *Node) expireTrades(*ecs.World) {
	if len(zn.trades) == 0 || zn.zone.World.Time.Tick%20 != 0 {
		return
	}
	now := zn.clock.Now()
	for id, t := range zn.trades {
		if t.inDB || now.Before(t.expires) && zn.players[t.from] != nil && zn.players[t.to] != nil {
			continue
		}
		delete(zn.trades, id)
		for _, c := range []uint64{t.from, t.to} {
			zn.tradeResult(c, id, wire.TradeStatusExpired, "the offer expired")
		}
	}
}
