package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world"
)

// heard is what one client received on its reliable stream.
type heard struct {
	mu     sync.Mutex
	chats  []string // "channel from: text"
	system []uint16
	loot   []codec.DbItem
	damage int
}

func (h *heard) on(m *wire.ServerMessage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch m.BodyType() {
	case wire.ServerBodyChat:
		var c wire.Chat
		codec.Member(m.Body, &c)
		h.chats = append(h.chats, string(rune('0'+c.Channel()))+" "+string(c.From())+": "+string(c.Text()))
	case wire.ServerBodySystemMessage:
		var s wire.SystemMessage
		codec.Member(m.Body, &s)
		h.system = append(h.system, s.Code())
	case wire.ServerBodyLoot:
		var l wire.Loot
		codec.Member(m.Body, &l)
		h.loot = append(h.loot, codec.DbItem{ID: l.ItemId(), Template: l.Template(), Count: l.Count()})
	case wire.ServerBodyDamage:
		h.damage++
	}
}

func (h *heard) has(chat string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.chats {
		if c == chat {
			return true
		}
	}
	return false
}

// TestGameEvents: chat is routed by the zone (a say to players within
// earshot, a zone line to all, a whisper to one name, an unknown name
// answered with a system message); players fighting NPCs hear of the
// damage they deal and take, and the loot of what they kill arrives as an
// event for an item the db holds.
func TestGameEvents(t *testing.T) {
	rc := startCoreNPCs(t, "game-events-test-secret-01234567",
		world.ZoneConfig{Seed: 21, Map: world.MapConfig{Width: 64, Height: 64, Obstacles: -1}}, 60)
	mk, clientTLS := rc.nodeConfig, rc.clientTLS
	_, lg := rc.startFront(t)
	names := []string{"ann", "bob", "cid"}
	var conns []*client.Conn
	var ears []*heard
	for _, name := range names {
		lg.CreateAccount(name, "pw")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := client.Login(ctx, lg.Addr(), clientTLS, name, "pw", "dev")
		if err != nil {
			t.Fatal(err)
		}
		h := &heard{}
		c, err := client.ConnectWith(ctx, res.Gateways[0], clientTLS, res.SessionHandle, client.Options{OnEvent: h.on})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns, ears = append(conns, c), append(ears, h)
	}
	ann, bob, cid := conns[0], conns[1], conns[2]

	// A say: everyone stands within 32 m of the others (spawns are within
	// 16 m of the centre), so all three hear it.
	time.Sleep(300 * time.Millisecond) // the gateway's subscription reaches the zone
	ann.Chat(codec.ChatSay, "", "hello there")
	waitUntil(t, "the say to reach everyone", 5*time.Second, func() bool {
		return ears[0].has("0 ann: hello there") && ears[1].has("0 ann: hello there") && ears[2].has("0 ann: hello there")
	})
	bob.Chat(codec.ChatZone, "", "zone news")
	ann.Chat(codec.ChatWhisper, "CID", "psst") // names match without case
	cid.Chat(codec.ChatWhisper, "nobody", "anyone?")
	waitUntil(t, "zone line, whisper and the unknown name's answer", 5*time.Second, func() bool {
		cid := ears[2]
		cid.mu.Lock()
		noSuch := len(cid.system) > 0 && cid.system[0] == 2
		cid.mu.Unlock()
		return ears[0].has("1 bob: zone news") && ears[2].has("1 bob: zone news") && ears[2].has("2 ann: psst") && noSuch
	})
	if ears[1].has("2 ann: psst") || ears[0].has("2 ann: psst") {
		t.Fatal("a whisper reached someone else")
	}

	// Fight: stand and attack whatever comes in reach (NPCs come: players
	// aggro them) until someone has loot.
	deadline := time.Now().Add(25 * time.Second)
	var looted *heard
	var looter int
	for i := 0; looted == nil && time.Now().Before(deadline); i++ {
		for _, c := range conns {
			c.SendInput(codec.Input{Actions: systems.ActionAttack})
		}
		time.Sleep(50 * time.Millisecond)
		for k, h := range ears {
			h.mu.Lock()
			if len(h.loot) > 0 {
				looted, looter = h, k
			}
			h.mu.Unlock()
		}
	}
	if looted == nil {
		t.Fatalf("no loot in 25 s of fighting; damage events: %d, %d, %d", ears[0].damage, ears[1].damage, ears[2].damage)
	}
	for k, h := range ears {
		h.mu.Lock()
		d := h.damage
		h.mu.Unlock()
		if d == 0 {
			t.Errorf("%s heard of no damage", names[k])
		}
	}
	looted.mu.Lock()
	item := looted.loot[0]
	looted.mu.Unlock()
	if item.Template < 1000 || item.Count < 1 { // the content's loot tables: wolf pelts come one or two at a time
		t.Fatalf("loot %+v", item)
	}
	// The zone's /metrics count the events and the loot, and its ticks.
	zn := rc.zone.Node()
	if metric(t, zn, "gridrealm_zone_player_events_total") == 0 || metric(t, zn, "gridrealm_zone_loot_granted_total") == 0 ||
		metric(t, zn, "gridrealm_zone_players") != 3 || metric(t, zn, "gridrealm_zone_dilation") <= 0 {
		t.Error("the zone's metrics do not show its events, loot, players or dilation")
	}
	// The item is in the db, owned by the looter's character.
	cfg := mk("TESTER", rc.dbPeer)
	cfg.Handler = silent{} // replies are dispatched, not left in an inbox
	tester, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tester.Start()
	defer tester.Stop()
	r, err := dbclient.New(tester, "DB", 5*time.Second).Sync(codec.DbRequest{Op: wire.DbOpDbGetItem, ID: item.ID})
	if err != nil || len(r.Items) != 1 || r.Items[0].Template != item.Template {
		t.Fatalf("the db has %+v (%v) for %s's loot %+v", r.Items, err, names[looter], item)
	}
}
