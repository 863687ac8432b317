package zone

import (
	"bytes"
	"math"
	"strings"

	arche "github.com/mlange-42/arche/ecs"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/systems"
)

// Players' reliable events: the damage they deal and take, their deaths,
// the loot of what they kill, and chat. The zone encodes each as the
// ServerMessage the player receives; the player's gateway forwards it on
// the player's stream with the next ZoneTick.

// Event rules.
const (
	sayRange = 40 // metres a say carries
	// System message codes.
	SystemDied       = 1
	SystemNoSuchName = 2
)

// event queues a message for a player's next ZoneTick. msg is the zone's
// own copy (the encoder's buffer is reused by the next message); players
// who get the same message share it.
func (zn *Node) event(character uint64, msg []byte) {
	zn.queueEvent(codec.PlayerEvent{Character: character, Message: msg})
}

// queueEvent queues an event for its player's next ZoneTick.
func (zn *Node) queueEvent(ev codec.PlayerEvent) {
	zn.events = append(zn.events, ev)
	zn.metrics.events.Inc()
}

// combatEvents runs after combat, while this tick's dead still exist:
// each player hears of the hits it dealt or took and of its death.
func (zn *Node) combatEvents(w *ecs.World) {
	log := ecs.Resource[systems.CombatLog](w)
	if log == nil {
		return
	}
	for _, h := range log.Hits {
		src, dst := zn.byEntity[h.Source], zn.byEntity[h.Target]
		if src == 0 && dst == 0 {
			continue // NPCs among themselves
		}
		msg := bytes.Clone(zn.penc.Damage(zn.netID(h.Source), zn.netID(h.Target), h.Amount, 0, false))
		if dst != 0 {
			zn.event(dst, msg)
			if h.Killed {
				seq := zn.nextSeq()
				zn.deliver(dst, seq, bytes.Clone(zn.penc.SystemMessage(SystemDied, "You died. You are back at your spawn point.", seq)))
			}
		}
		if src != 0 && src != dst {
			zn.event(src, msg) // the loot of a kill is the content's (scripts.go)
		}
	}
}

func (zn *Node) netID(e arche.Entity) uint32 {
	if !zn.zone.World.ECS.Alive(e) {
		return 0
	}
	return zn.rep.Get(e).NetID
}

// chat routes a player's line: a say to players within earshot, a zone
// line to every player, a whisper to the player of that name. Players away
// (let go with their gateway, who may come back) are recipients too: the
// line is kept for them.
func (zn *Node) chat(from *player, channel uint8, to, text string) {
	if text == "" || len(text) > codec.MaxText || zn.partyCommand(from, text) || zn.command(from, text) {
		return
	}
	seq := zn.nextSeq()
	msg := bytes.Clone(zn.penc.Chat(channel, from.name, text, seq))
	switch channel {
	case codec.ChatSay:
		fp := zn.pos.Get(from.entity)
		near := func(x, y float32) bool { return math.Hypot(float64(x-fp.X), float64(y-fp.Y)) <= sayRange }
		for _, p := range zn.players {
			if pp := zn.pos.Get(p.entity); near(pp.X, pp.Y) {
				zn.deliver(p.character, seq, msg)
			}
		}
		for character, a := range zn.away {
			if near(a.x, a.y) {
				zn.remember(character, seq, msg)
			}
		}
	case codec.ChatZone:
		for _, p := range zn.players {
			zn.deliver(p.character, seq, msg)
		}
		for character := range zn.away {
			zn.remember(character, seq, msg)
		}
	case codec.ChatWhisper:
		for _, p := range zn.players {
			if strings.EqualFold(p.name, to) {
				zn.deliver(p.character, seq, msg)
				return
			}
		}
		for character, a := range zn.away {
			if strings.EqualFold(a.name, to) {
				zn.remember(character, seq, msg)
				return
			}
		}
		seq = zn.nextSeq()
		zn.deliver(from.character, seq, bytes.Clone(zn.penc.SystemMessage(SystemNoSuchName, "No one called "+to+" is in this zone.", seq)))
	}
}
