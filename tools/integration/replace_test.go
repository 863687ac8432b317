package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/world"
)

// TestSecondConnectionReplacesTheFirst: the same character connecting
// twice on one gateway (a client that reconnects before its old connection
// timed out) keeps the newer connection in the game and closes the older
// one with the reason Replaced.
func TestSecondConnectionReplacesTheFirst(t *testing.T) {
	c := startCore(t, "replace-test-secret-0123456789abc", world.ZoneConfig{Seed: 3, Map: world.MapConfig{Width: 128, Height: 128, Obstacles: -1}})
	gw, lg := c.startFront(t)
	first := c.player(t, lg, gw.Addr(), "twice")
	second := c.player(t, lg, gw.Addr(), "twice")
	select {
	case <-first.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the older connection was not closed")
	}
	waitUntil(t, "the older connection to hear why", 2*time.Second, func() bool {
		return first.Counters().Disconnect == wire.DisconnectReasonReplaced
	})
	// The newer one stays in the game, well after the old connection's end
	// reached the realm: it is in the directory, and it walks.
	time.Sleep(500 * time.Millisecond)
	if dir := c.realm.Directory(); len(dir) != 1 || dir[0].Gateway != "GW-1" {
		t.Fatalf("directory after the replace: %+v", dir)
	}
	before := second.Counters().Snapshots
	for i := uint32(1); i <= 40; i++ {
		second.SendInput(codec.Input{Seq: i, MoveX: 127})
		time.Sleep(25 * time.Millisecond)
	}
	waitUntil(t, "the newer connection to walk", 5*time.Second, func() bool {
		var self bool
		second.View(func(w *client.World) { _, self = w.Entity(second.Welcome.EntityID) })
		return second.Counters().Snapshots > before+10 && self
	})
	select {
	case <-second.Done():
		t.Fatalf("the newer connection ended: %v", second.Err())
	default:
	}
	if n := gw.Players(); n != 1 {
		t.Fatalf("gateway holds %d players", n)
	}
}

// TestStoppedGatewayTellsItsPlayersWhy: a gateway that stops closes every
// player with the reason Shutdown, never a bare close.
func TestStoppedGatewayTellsItsPlayersWhy(t *testing.T) {
	c := startCore(t, "shutdown-test-secret-0123456789ab", world.ZoneConfig{Seed: 3, Map: world.MapConfig{Width: 128, Height: 128, Obstacles: -1}})
	gw, lg := c.startFront(t)
	var conns []*client.Conn
	for i := 0; i < 5; i++ {
		conns = append(conns, c.player(t, lg, gw.Addr(), fmt.Sprintf("p%d", i)))
	}
	gw.Stop()
	for i, conn := range conns {
		select {
		case <-conn.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("player %d still connected", i)
		}
		if r := conn.Counters().Disconnect; r != wire.DisconnectReasonShutdown {
			t.Errorf("player %d was closed with %v, want Shutdown", i, r)
		}
	}
}
