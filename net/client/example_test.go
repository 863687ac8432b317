package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// A session against a realm that `make run` started: log in with a dev
// account, connect to the gateway the login node names, walk east for a
// second while watching what the player sees, say hello, and leave.
// (Compiled, not run: it needs a realm.)
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	certPEM, err := os.ReadFile("data/cert.pem") // realm up's dev certificate
	if err != nil {
		log.Fatal(err)
	}
	tlsConf, err := pquic.ClientTLS(certPEM)
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.Login(ctx, "127.0.0.1:8105", tlsConf, "bot0", "bot", "dev")
	if err != nil {
		log.Fatal(err) // res.Status says why: Denied, Busy, RateLimited, ...
	}
	conn, err := client.ConnectWith(ctx, res.Gateways[0], tlsConf, res.SessionHandle, client.Options{
		OnEvent: func(m *wire.ServerMessage) { fmt.Println("event:", m.BodyType()) }, // Chat, Damage, Loot, SystemMessage, ...
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	tick := time.Second / time.Duration(conn.Welcome.TickHz)
	for range conn.Welcome.TickHz { // one input per tick
		conn.SendInput(codec.Input{MoveX: 127})
		time.Sleep(tick)
	}
	conn.View(func(w *client.World) {
		me, _ := w.Entity(conn.Welcome.EntityID)
		fmt.Printf("I stand at (%.1f, %.1f) and see %d entities\n", me.X, me.Y, w.Len())
	})
	conn.Chat(codec.ChatSay, "", "hello")
}

// World rebuilds what the player sees from snapshots: a full one, then a
// delta against it (what moved, what changed, what left).
func ExampleWorld() {
	var w client.World
	full := codec.Snapshot{Seq: 1, OriginX: 100, OriginY: 200, Updates: codec.Updates{Enters: []codec.Spawn{
		{ID: 7, X: 256, Y: 512, Kind: wire.EntityKindNpc, Health: 255},
		{ID: 8, X: 1024, Y: 0, Kind: wire.EntityKindPlayer, Health: 200}}}}
	if err := w.Apply(&full); err != nil {
		log.Fatal(err)
	}
	delta := codec.Snapshot{Seq: 2, Baseline: 1, OriginX: 100, OriginY: 200, Updates: codec.Updates{
		Moves: []codec.Move{{ID: 7, X: 768, Y: 512}}, States: []codec.State{{ID: 7, Health: 128}}, Leaves: []uint32{8}}}
	if err := w.Apply(&delta); err != nil {
		log.Fatal(err)
	}
	w.Each(func(e client.Entity) {
		fmt.Printf("%d %s at (%.0f, %.0f), health %d\n", e.ID, e.Kind, e.X, e.Y, e.Health)
	})
	fmt.Println("acknowledge:", w.Latest())
	// Output:
	// 7 Npc at (103, 202), health 128
	// acknowledge: 2
}
