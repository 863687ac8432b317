package codec

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/gridrealm/gridrealm/net/wire"
)

// Items a player owns, and trades between players: the messages of the
// player's stream (ItemUse, ItemDrop, TradeOffer, TradeAnswer up;
// Inventory, TradeOffered, TradeResult down) and the db's trade.

// MaxTradeItems bounds the items one side of a trade gives, and
// MaxInventory the items one Inventory lists.
const (
	MaxTradeItems = 16
	MaxInventory  = 2048
)

// sizeInventoryItem is the size of a wire.InventoryItem.
const sizeInventoryItem = 16

// InventoryItem is one item a player owns.
type InventoryItem struct {
	ID              uint64
	Template, Count uint32
}

// TradeOffer is a player's offer (wire.TradeOffer).
type TradeOffer struct {
	To         string
	Give, Want []uint64
}

// TradeOffered is an offer as its target sees it (wire.TradeOffered).
type TradeOffered struct {
	Trade      uint64
	From       string
	Give, Want []InventoryItem
	ExpiresMs  uint32
}

func ids(b *flatbuffers.Builder, v []uint64) flatbuffers.UOffsetT {
	b.StartVector(8, len(v), 8)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUint64(v[i])
	}
	return b.EndVector(len(v))
}

func inventoryItems(b *flatbuffers.Builder, v []InventoryItem) flatbuffers.UOffsetT {
	b.StartVector(sizeInventoryItem, len(v), 8)
	for i := len(v) - 1; i >= 0; i-- {
		wire.CreateInventoryItem(b, v[i].ID, v[i].Template, v[i].Count)
	}
	return b.EndVector(len(v))
}

// ItemUse returns a player's use of an item.
func (e *PlayerEncoder) ItemUse(item uint64) []byte {
	b := e.b
	b.Reset()
	wire.ItemUseStart(b)
	wire.ItemUseAddItem(b, item)
	return e.client(wire.ClientBodyItemUse, wire.ItemUseEnd(b))
}

// ItemDrop returns a player's drop (destruction) of an item.
func (e *PlayerEncoder) ItemDrop(item uint64) []byte {
	b := e.b
	b.Reset()
	wire.ItemDropStart(b)
	wire.ItemDropAddItem(b, item)
	return e.client(wire.ClientBodyItemDrop, wire.ItemDropEnd(b))
}

// TradeOffer returns a player's trade offer.
func (e *PlayerEncoder) TradeOffer(o *TradeOffer) []byte {
	b := e.b
	b.Reset()
	to, give, want := b.CreateString(o.To), ids(b, o.Give), ids(b, o.Want)
	wire.TradeOfferStart(b)
	wire.TradeOfferAddTo(b, to)
	wire.TradeOfferAddGive(b, give)
	wire.TradeOfferAddWant(b, want)
	return e.client(wire.ClientBodyTradeOffer, wire.TradeOfferEnd(b))
}

// TradeAnswer returns a player's answer to an offer.
func (e *PlayerEncoder) TradeAnswer(trade uint64, accept bool) []byte {
	b := e.b
	b.Reset()
	wire.TradeAnswerStart(b)
	wire.TradeAnswerAddTrade(b, trade)
	wire.TradeAnswerAddAccept(b, accept)
	return e.client(wire.ClientBodyTradeAnswer, wire.TradeAnswerEnd(b))
}

// Inventory returns the items a player owns.
func (e *PlayerEncoder) Inventory(items []InventoryItem) []byte {
	b := e.b
	b.Reset()
	v := inventoryItems(b, items)
	wire.InventoryStart(b)
	wire.InventoryAddItems(b, v)
	return e.server(wire.ServerBodyInventory, wire.InventoryEnd(b))
}

// TradeOffered returns an offer for its target.
func (e *PlayerEncoder) TradeOffered(o *TradeOffered) []byte {
	b := e.b
	b.Reset()
	from, give, want := b.CreateString(o.From), inventoryItems(b, o.Give), inventoryItems(b, o.Want)
	wire.TradeOfferedStart(b)
	wire.TradeOfferedAddTrade(b, o.Trade)
	wire.TradeOfferedAddFrom(b, from)
	wire.TradeOfferedAddGive(b, give)
	wire.TradeOfferedAddWant(b, want)
	wire.TradeOfferedAddExpiresMs(b, o.ExpiresMs)
	return e.server(wire.ServerBodyTradeOffered, wire.TradeOfferedEnd(b))
}

// TradeResult returns how a trade stands.
func (e *PlayerEncoder) TradeResult(trade uint64, status wire.TradeStatus, text string) []byte {
	b := e.b
	b.Reset()
	t := b.CreateString(text)
	wire.TradeResultStart(b)
	wire.TradeResultAddTrade(b, trade)
	wire.TradeResultAddStatus(b, status)
	wire.TradeResultAddText(b, t)
	return e.server(wire.ServerBodyTradeResult, wire.TradeResultEnd(b))
}

// ReadTradeOffer copies a checked offer.
func ReadTradeOffer(w *wire.TradeOffer) TradeOffer {
	o := TradeOffer{To: string(w.To()), Give: make([]uint64, w.GiveLength()), Want: make([]uint64, w.WantLength())}
	for i := range o.Give {
		o.Give[i] = w.Give(i)
	}
	for i := range o.Want {
		o.Want[i] = w.Want(i)
	}
	return o
}

// ReadInventory copies a checked inventory.
func ReadInventory(w *wire.Inventory) []InventoryItem {
	out := make([]InventoryItem, w.ItemsLength())
	var it wire.InventoryItem
	for i := range out {
		w.Items(&it, i)
		out[i] = InventoryItem{ID: it.Id(), Template: it.Template(), Count: it.Count()}
	}
	return out
}

// ReadTradeOffered copies a checked offer.
func ReadTradeOffered(w *wire.TradeOffered) TradeOffered {
	o := TradeOffered{Trade: w.Trade(), From: string(w.From()), ExpiresMs: w.ExpiresMs(),
		Give: make([]InventoryItem, w.GiveLength()), Want: make([]InventoryItem, w.WantLength())}
	var it wire.InventoryItem
	for i := range o.Give {
		w.Give(&it, i)
		o.Give[i] = InventoryItem{ID: it.Id(), Template: it.Template(), Count: it.Count()}
	}
	for i := range o.Want {
		w.Want(&it, i)
		o.Want[i] = InventoryItem{ID: it.Id(), Template: it.Template(), Count: it.Count()}
	}
	return o
}

// PlayerRequest returns a player's request forwarded to its zone: the
// ClientMessage as the player sent it.
func (e *ZoneEncoder) PlayerRequest(character uint64, message []byte) []byte {
	b := e.b
	b.Reset()
	m := b.CreateByteVector(message)
	wire.ZonePlayerRequestStart(b)
	wire.ZonePlayerRequestAddCharacter(b, character)
	wire.ZonePlayerRequestAddMessage(b, m)
	return e.finish(wire.ZoneBodyZonePlayerRequest, wire.ZonePlayerRequestEnd(b))
}
