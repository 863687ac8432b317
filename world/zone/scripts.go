package zone

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	arche "github.com/mlange-42/arche/ecs"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/content"
	"github.com/gridrealm/gridrealm/world/script"
)

// The zone's content and scripts (world/script): the node is their host.
// Items a script gives or takes, and loot, are the db's single operations
// with the player's epoch; a player's items are loaded with it and kept
// here as the db acknowledges each change.

// SystemScript is the system message code of a script's message.
const SystemScript = 10

// contentSet returns the content the node runs (the default content when
// the config names none).
func (c *Config) contentSet() (*content.Set, error) {
	if c.Content != nil {
		return c.Content, nil
	}
	return content.LoadDefault()
}

// scope is the content the zone's world runs: the instance template it
// holds, else the config's open zone.
func (zn *Node) scope() string {
	if zn.loaded != "" {
		return zn.loaded
	}
	if zn.cfg.Instance != nil {
		return zn.cfg.Instance.Name
	}
	return zn.cfg.ContentZone
}

// attachScripts runs the current content's scripts in z.
func (zn *Node) attachScripts(z *world.Zone) error {
	set := zn.content.Load()
	e, err := script.New(z, set, zn.scope(), zn, zn.scriptLog, zn.clock)
	if err != nil {
		return err
	}
	zn.scripts.Store(e)
	return nil
}

func (zn *Node) scriptLog(line string) {
	zn.log.Info("script: " + line)
}

// Reload has the zone run set from the start of its next tick (and every
// instance it loads later). A set whose scripts fail to start is refused
// and the running content stays.
func (zn *Node) Reload(set *content.Set) error {
	e := zn.scripts.Load()
	if err := e.Reload(set); err != nil {
		return err
	}
	zn.content.Store(set)
	zn.renamed()
	return nil
}

// WatchContent reloads the content directory dir into the zone whenever
// its files change (content.Watch), until ctx ends: a set that does not
// load, check or start is refused, counted and logged, and the running
// one stays.
func (zn *Node) WatchContent(ctx context.Context, dir string) error {
	return content.Watch(ctx, zn.clock, dir, 100*time.Millisecond, func(set *content.Set, err error) {
		if err == nil {
			err = zn.Reload(set)
		}
		if err != nil {
			zn.metrics.contentRefused.Inc()
			zn.log.Error("zone: content reload refused, the running content stays", "dir", dir, "err", err)
			return
		}
		zn.log.Info("zone: content reload prepared, landing at the next tick", "dir", dir, "version", set.Version)
	})
}

// Scripts returns the zone's script engine (its Stats may be read from any
// goroutine).
func (zn *Node) Scripts() *script.Engine { return zn.scripts.Load() }

// Give implements script.Host: a grant in the db, fenced by the player's
// epoch; the player hears of it once the db has it. A stackable item is
// one stack; others are granted one by one.
func (zn *Node) Give(e arche.Entity, it *content.ItemDef, count uint32) {
	character := zn.byEntity[e]
	p := zn.players[character]
	if p == nil {
		return
	}
	n, each := uint32(1), count
	if !it.Stackable {
		n, each = count, 1
	}
	for i := uint32(0); i < n; i++ {
		zn.db.Do(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: character, Epoch: p.epoch, Template: it.ID, Count: each},
			func(r codec.DbReply, err error) {
				if err != nil || len(r.Items) == 0 {
					zn.log.Warn("zone: item not granted", "character", character, "item", it.Name, "err", err)
					return
				}
				zn.metrics.lootings.Inc()
				got := r.Items[0]
				zn.event(character, bytes.Clone(zn.penc.Loot(got.ID, got.Template, got.Count)))
				if p := zn.players[character]; p != nil {
					p.items[got.ID] = got
					zn.sendInventory(p)
				}
			})
	}
}

// Take implements script.Host: the player's items of that template are
// destroyed in the db (whole items, oldest first) if it has count of
// them.
func (zn *Node) Take(e arche.Entity, it *content.ItemDef, count uint32) bool {
	p := zn.players[zn.byEntity[e]]
	if p == nil || zn.Count(e, it) < int(count) {
		return false
	}
	// Whole items only, oldest first: the db splits no stacks. Nothing is
	// destroyed unless the items make exactly count.
	var plan []uint64
	left := count
	for _, id := range p.sortedItems() {
		got := p.items[id]
		if got.Template != it.ID || left == 0 || zn.locked(p, id) {
			continue
		}
		if got.Count > left {
			return false
		}
		left -= got.Count
		plan = append(plan, id)
	}
	if left > 0 {
		return false
	}
	for _, id := range plan {
		zn.destroy(p, id)
	}
	return true
}

// Count implements script.Host.
func (zn *Node) Count(e arche.Entity, it *content.ItemDef) int {
	p := zn.players[zn.byEntity[e]]
	if p == nil {
		return 0
	}
	n := 0
	for _, got := range p.items {
		if got.Template == it.ID {
			n += int(got.Count)
		}
	}
	return n
}

// Consume implements script.Host.
func (zn *Node) Consume(e arche.Entity, item uint64) {
	if p := zn.players[zn.byEntity[e]]; p != nil {
		zn.destroy(p, item)
	}
}

// destroy destroys an item of the player's in the db, with its epoch.
func (zn *Node) destroy(p *player, item uint64) {
	delete(p.items, item) // never used twice while the db answers
	character := p.character
	zn.db.Do(codec.DbRequest{Op: wire.DbOpDbDestroyItem, Item: item, Owner: character, Epoch: p.epoch}, func(_ codec.DbReply, err error) {
		q := zn.players[character]
		if err != nil {
			zn.log.Warn("zone: item not destroyed", "character", character, "item", item, "err", err)
			if q != nil {
				zn.reloadItems(q) // the db is the truth
			}
			return
		}
		if q != nil {
			zn.sendInventory(q)
		}
	})
}

// Tell implements script.Host.
func (zn *Node) Tell(e arche.Entity, text string) {
	character := zn.byEntity[e]
	if zn.players[character] == nil {
		return
	}
	seq := zn.nextSeq()
	zn.deliver(character, seq, bytes.Clone(zn.penc.SystemMessage(SystemScript, text, seq)))
}

// Announce implements script.Host.
func (zn *Node) Announce(text string) {
	seq := zn.nextSeq()
	msg := bytes.Clone(zn.penc.SystemMessage(SystemScript, text, seq))
	for _, p := range zn.players {
		zn.deliver(p.character, seq, msg)
	}
}

// Name implements script.Host.
func (zn *Node) Name(e arche.Entity) string {
	if p := zn.players[zn.byEntity[e]]; p != nil {
		return p.name
	}
	return ""
}

// command handles a chat line that is a command ("/NAME ARGS"): /use ITEM
// uses an item the player owns, and the content's commands and /talk go
// to the scripts. It reports whether the line was a command.
func (zn *Node) command(p *player, text string) bool {
	line, ok := strings.CutPrefix(text, "/")
	if !ok {
		return false
	}
	name, args, _ := strings.Cut(line, " ")
	e := zn.scripts.Load()
	if name == "use" {
		id, err := strconv.ParseUint(strings.TrimSpace(args), 10, 64)
		if err != nil {
			zn.Tell(p.entity, fmt.Sprintf("/use ITEM: %q is not an item id.", strings.TrimSpace(args)))
			return true
		}
		zn.useItem(p, id)
		return true
	}
	return e.Command(p.entity, name, args)
}

// sortedItems returns the player's item ids in order (the db's: oldest
// first).
func (p *player) sortedItems() []uint64 { return slices.Sorted(maps.Keys(p.items)) }

var _ script.Host = (*Node)(nil)
