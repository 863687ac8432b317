package integration

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
)

// twoZones makes a dev realm's two open zones, DEV-ZONE-1 (west) and
// DEV-ZONE-3 (east), small: 64 m each, no obstacles, no NPCs, no portal,
// the border between them; extra adds flags to a zone's command.
func twoZones(extra map[string][]string) func(*registry.Registry) {
	return func(reg *registry.Registry) {
		for i := range reg.Nodes {
			e := &reg.Nodes[i]
			if e.ID != "DEV-ZONE-1" && e.ID != "DEV-ZONE-3" {
				continue
			}
			for i := slices.Index(e.Restart, "--portal"); i >= 0; i = slices.Index(e.Restart, "--portal") {
				e.Restart = slices.Delete(e.Restart, i, i+2) // the dev portals are for big maps
			}
			e.Restart = append(e.Restart, "--size", "64", "--obstacles", "-1", "--npcs", "0")
			e.Restart = append(e.Restart, extra[e.ID]...)
		}
	}
}

// walk sends a bot's input (MoveX in -127..127) every tick until done says
// so (then it stands) or d passes; it reports whether done did.
func walk(c *client.Conn, moveX int8, d time.Duration, done func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if done() {
			c.SendInput(codec.Input{}) // and stand
			return true
		}
		c.SendInput(codec.Input{MoveX: moveX})
		time.Sleep(50 * time.Millisecond)
	}
	return done()
}

// crossAll walks every bot (at once) until it is in zone, on the same
// gateway connection.
func crossAll(t *testing.T, conns []*client.Conn, moveX int8, zone string) {
	t.Helper()
	var wg sync.WaitGroup
	failed := make(chan string, len(conns))
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gw := c.Gateway()
			if !walk(c, moveX, 30*time.Second, func() bool { return inZone(c, zone) }) {
				x, y, ok := selfAt(c)
				failed <- fmt.Sprintf("bot %d did not reach %s: in %s at (%.1f, %.1f) %v, %+v", i, zone, c.Welcomed().Zone, x, y, ok, c.Counters())
				return
			}
			if c.Gateway() != gw || c.Counters().Reconnects != 0 {
				failed <- fmt.Sprintf("bot %d changed connection crossing into %s", i, zone)
			}
		}()
	}
	wg.Wait()
	close(failed)
	for f := range failed {
		t.Error(f)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// playersSeen counts the players in a bot's newest view.
func playersSeen(c *client.Conn) int {
	n := 0
	c.View(func(w *client.World) {
		w.Each(func(e client.Entity) {
			if e.Kind == wire.EntityKindPlayer {
				n++
			}
		})
	})
	return n
}

// viewsConverge waits until every bot sees exactly the players in its zone
// (the zones are small: a player sees the whole map), and no one twice.
func viewsConverge(t *testing.T, conns []*client.Conn, want int) {
	t.Helper()
	waitUntil(t, "every bot's view to hold the players of its zone", 5*time.Second, func() bool {
		for _, c := range conns {
			if playersSeen(c) != want {
				return false
			}
		}
		return true
	})
}

// inZone reports whether a bot was welcomed into zone and sees itself.
func inZone(c *client.Conn, zone string) bool {
	_, _, ok := selfAt(c)
	return ok && c.Welcomed().Zone == zone
}

// TestBorderHandoff: 40 bots walk east off DEV-ZONE-1 into DEV-ZONE-3 and
// back west, staying connected to the same gateway: each crossing moves
// the character to the other zone (the source lets go, the target claims
// it), the client is welcomed in the new zone (OnZoneChange) and sees
// itself there, each zone holds exactly the bots on its side, and every
// bot's view holds exactly the players of its zone.
func TestBorderHandoff(t *testing.T) {
	const bots = 40
	r := startDevRealm(t, upBase(430), bots, twoZones(nil))
	var conns []*client.Conn
	var mu sync.Mutex
	changes := make([][]string, bots) // what OnZoneChange told each bot
	for i := 0; i < bots; i++ {
		c := r.bot(t, i, func(o *client.Options) {
			o.OnZoneChange = func(from, to string, _ codec.Welcome) {
				mu.Lock()
				changes[i] = append(changes[i], from+">"+to)
				mu.Unlock()
			}
		})
		conns = append(conns, c)
		waitUntil(t, "the bot in the west zone", 10*time.Second, func() bool { return inZone(c, "DEV-ZONE-1") })
	}
	start := time.Now()
	crossAll(t, conns, 127, "DEV-ZONE-3")
	t.Logf("%d bots crossed east in %v", bots, time.Since(start).Round(time.Millisecond))
	waitUntil(t, "the zones to hold the bots where they are", 5*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players") == 0 && r.metric(t, "DEV-ZONE-3", "gridrealm_zone_players") == bots
	})
	viewsConverge(t, conns, bots)
	crossAll(t, conns, -127, "DEV-ZONE-1")
	waitUntil(t, "the zones to hold the bots where they are", 5*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players") == bots && r.metric(t, "DEV-ZONE-3", "gridrealm_zone_players") == 0
	})
	viewsConverge(t, conns, bots)
	for i, c := range conns {
		if st := c.Counters(); st.ZoneChanges != 2 || st.Rewelcomes != 2 || st.Disconnect != 0 {
			t.Errorf("bot %d: %d zone changes in %d welcomes after the first, disconnect %v; want 2, 2 and none", i, st.ZoneChanges, st.Rewelcomes, st.Disconnect)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range conns {
		if want := []string{"DEV-ZONE-1>DEV-ZONE-3", "DEV-ZONE-3>DEV-ZONE-1"}; !slices.Equal(changes[i], want) {
			t.Errorf("bot %d: OnZoneChange heard %q, want %q", i, changes[i], want)
		}
	}
}

// character loads bot i's character (its account's, named after it).
func character(t *testing.T, c *dbclient.Client, i int) codec.DbCharacter {
	t.Helper()
	rep, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbFindCharacter, Name: fmt.Sprintf("bot%d", i)})
	if err != nil || rep.Character == nil {
		t.Fatalf("bot%d's character: %v", i, err)
	}
	return *rep.Character
}

// TestHandoffFencesTheOldOwner: once the target claimed a character, a
// write with the source's epoch — a late checkpoint or a grant of the
// zone that let it go — is refused by the db and counted, and the
// character's items stay its own.
func TestHandoffFencesTheOldOwner(t *testing.T) {
	r := startDevRealm(t, upBase(440), 1, twoZones(nil))
	c := r.bot(t, 0)
	waitUntil(t, "the bot in the west zone", 10*time.Second, func() bool { return inZone(c, "DEV-ZONE-1") })
	g := r.granter(t)
	before := character(t, g, 0)
	item, err := g.Sync(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: before.ID, Epoch: before.Epoch, Template: 7, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	crossAll(t, []*client.Conn{c}, 127, "DEV-ZONE-3")
	after := character(t, g, 0)
	if after.Zone != "DEV-ZONE-3" || after.Epoch <= before.Epoch {
		t.Fatalf("after the handoff the db has zone %s epoch %d (was %s, %d)", after.Zone, after.Epoch, before.Zone, before.Epoch)
	}
	fenced := func() float64 {
		return r.labelled(t, "DEV-DB-1", `gridrealm_db_operations_total{op="DbSaveCheckpoint",status="StaleEpoch"}`)
	}
	was := fenced()
	_, err = g.Sync(codec.DbRequest{Op: wire.DbOpDbSaveCheckpoint, ID: before.ID, Epoch: before.Epoch, Zone: "DEV-ZONE-1", X: 1, Y: 1})
	if !errors.Is(err, dbclient.ErrStaleEpoch) {
		t.Fatalf("the old owner's checkpoint after the claim: %v, want refused (stale epoch)", err)
	}
	if _, err := g.Sync(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: before.ID, Epoch: before.Epoch, Template: 8, Count: 1}); !errors.Is(err, dbclient.ErrStaleEpoch) {
		t.Fatalf("the old owner's grant after the claim: %v, want refused", err)
	}
	if now := fenced(); now != was+1 {
		t.Fatalf("refused checkpoints counted %v → %v, want one more", was, now)
	}
	if cur := character(t, g, 0); cur.Zone != "DEV-ZONE-3" || cur.Epoch != after.Epoch {
		t.Fatalf("the refused write changed the character: %+v", cur)
	}
	items, err := g.Sync(codec.DbRequest{Op: wire.DbOpDbListItems, Owner: before.ID})
	if err != nil || len(items.Items) != 1 || items.Items[0].ID != item.Items[0].ID {
		t.Fatalf("the character's items after the handoff: %+v %v", items.Items, err)
	}
}

// handoffCrash runs a handoff with one zone killed at a point of it
// (GRIDREALM_FAULT): the reviver restarts the zone, and the character must
// end in the east zone, the only one holding it, with its item, and the bot
// still connected.
func handoffCrash(t *testing.T, base int, zone, point string) {
	marker := filepath.Join(t.TempDir(), "fault")
	r := startDevRealm(t, base, 1, twoZones(nil), func(reg *registry.Registry) {
		for i := range reg.Nodes {
			if reg.Nodes[i].ID == zone {
				reg.Nodes[i].Restart = append([]string{"/usr/bin/env", "GRIDREALM_FAULT=" + point + "@" + marker}, reg.Nodes[i].Restart...)
			}
		}
	})
	c := r.bot(t, 0)
	waitUntil(t, "the bot in the west zone", 10*time.Second, func() bool { return inZone(c, "DEV-ZONE-1") })
	g := r.granter(t)
	ch := character(t, g, 0)
	item, err := g.Sync(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: ch.ID, Epoch: ch.Epoch, Template: 7, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	crossAll(t, []*client.Conn{c}, 127, "DEV-ZONE-3")
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("%s was not killed at %s", zone, point)
	}
	r.restarted(t, zone, 1)
	t.Logf("%s killed at %s: the bot was in DEV-ZONE-3 %v after it started walking", zone, point, time.Since(start).Round(time.Millisecond))
	waitUntil(t, "the character in the east zone only", 10*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players") == 0 && r.metric(t, "DEV-ZONE-3", "gridrealm_zone_players") == 1
	})
	if cur := character(t, g, 0); cur.Zone != "DEV-ZONE-3" {
		t.Fatalf("the db has the character in %s", cur.Zone)
	}
	items, err := g.Sync(codec.DbRequest{Op: wire.DbOpDbListItems, Owner: ch.ID})
	if err != nil || len(items.Items) != 1 || items.Items[0].ID != item.Items[0].ID {
		t.Fatalf("the character's items: %+v %v", items.Items, err)
	}
	if st := c.Counters(); st.Disconnect != 0 {
		t.Fatalf("the bot was let go: %v", st.Disconnect)
	}
}

// TestHandoffSourceKilledBetweenWriteAndClaim: the source wrote the
// character as the target's and died before asking the target. Restarted,
// it finds the character handed off and sends its gateway on to the
// target, which claims it.
func TestHandoffSourceKilledBetweenWriteAndClaim(t *testing.T) {
	handoffCrash(t, upBase(460), "DEV-ZONE-1", "handoff-after-write")
}

// TestHandoffSourceKilledAfterTheClaim: the target claimed and spawned the
// character and answered; the source died before it told the gateway.
// Restarted, the source sends the gateway on to the target, which holds
// the character already.
func TestHandoffSourceKilledAfterTheClaim(t *testing.T) {
	handoffCrash(t, upBase(475), "DEV-ZONE-1", "handoff-after-claimed")
}

// TestHandoffTargetKilledBetweenClaimAndSpawn: the target claimed the
// character and died before spawning it. The source's write-back is
// refused (the claim fenced it): it lets go, and the gateway enters the
// player into the restarted target.
func TestHandoffTargetKilledBetweenClaimAndSpawn(t *testing.T) {
	handoffCrash(t, upBase(470), "DEV-ZONE-3", "enter-after-claim")
}

// TestHandoffWhileTheRealmRestarts: the realm node is SIGKILLed as a bot
// walks across the border. The handoff does not need it; the restarted
// realm learns where the player is from its gateway, and when that gateway
// is killed next the bot resumes into the zone it had reached.
func TestHandoffWhileTheRealmRestarts(t *testing.T) {
	r := startDevRealm(t, upBase(480), 1, twoZones(nil))
	c := r.bot(t, 0)
	waitUntil(t, "the bot in the west zone", 10*time.Second, func() bool { return inZone(c, "DEV-ZONE-1") })
	r.kill(t, "DEV-REALM-1")
	crossAll(t, []*client.Conn{c}, 127, "DEV-ZONE-3")
	r.restarted(t, "DEV-REALM-1", 1)
	gw := "DEV-GATEWAY-1"
	if c.Gateway() == r.entry("DEV-GATEWAY-2").Public {
		gw = "DEV-GATEWAY-2"
	}
	r.kill(t, gw)
	waitUntil(t, "the bot back in the east zone", 15*time.Second, func() bool {
		return c.Counters().Reconnects == 1 && inZone(c, "DEV-ZONE-3")
	})
	waitUntil(t, "the character in the east zone only", 10*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players") == 0 && r.metric(t, "DEV-ZONE-3", "gridrealm_zone_players") == 1
	})
}

// TestPortalHandoff: a portal of DEV-ZONE-1's map (content: a --portal of
// its generated map, as a map file's portal line) leads to DEV-ZONE-3's
// arrival point: a bot stepping in is handed off there, on the same
// connection.
func TestPortalHandoff(t *testing.T) {
	r := startDevRealm(t, upBase(410), 2, twoZones(map[string][]string{"DEV-ZONE-1": {"--portal", "2,0,8,64,DEV-ZONE-3,40,12"}}))
	var conns []*client.Conn
	for i := 0; i < 2; i++ {
		c := r.bot(t, i)
		waitUntil(t, "the bot in the west zone", 10*time.Second, func() bool { return inZone(c, "DEV-ZONE-1") })
		conns = append(conns, c)
	}
	crossAll(t, conns, -127, "DEV-ZONE-3") // west, into the portal
	for i, c := range conns {
		x, y, _ := selfAt(c)
		if math.Hypot(x-40, y-12) > 2 {
			t.Errorf("bot %d arrived at (%.1f, %.1f), want the arrival point (40, 12)", i, x, y)
		}
		// Its full-state snapshots and its Welcome name the same entity.
		if c.Self() != c.Welcomed().EntityID || c.Self() == 0 {
			t.Errorf("bot %d: its entity is %d, its Welcome says %d", i, c.Self(), c.Welcomed().EntityID)
		}
	}
	waitUntil(t, "the zones to hold the bots where they are", 5*time.Second, func() bool {
		return r.metric(t, "DEV-ZONE-1", "gridrealm_zone_players") == 0 && r.metric(t, "DEV-ZONE-3", "gridrealm_zone_players") == 2
	})
	// Side by side in the new zone, bot 0 asks who the two are: its zone
	// names both (through the gateway, the Go client keeps the names).
	if err := conns[0].WhoIs(conns[1].Self(), conns[0].Self()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "bot 0 told who the two are", 5*time.Second, func() bool {
		for i, c := range conns {
			if n, ok := conns[0].Named(c.Self()); !ok || n.Name != fmt.Sprintf("bot%d", i) || n.Kind != wire.EntityKindPlayer {
				return false
			}
		}
		return true
	})
}

// TestMovesAreCheckedInTheZoneArrivedIn: a player who went through a portal
// into a zone with another map is judged on that map. It walks where the
// zone it came from has no ground (past its edge) and costs no correction.
// (A gateway once checked a player's moves on the zone it connected in for
// as long as it stayed connected: players who had travelled were
// disconnected for impossible moves.)
func TestMovesAreCheckedInTheZoneArrivedIn(t *testing.T) {
	r := startDevRealm(t, upBase(445), 1, twoZones(map[string][]string{
		"DEV-ZONE-1": {"--portal", "2,0,8,64,DEV-ZONE-3,100,100"}, // 64 m square
		"DEV-ZONE-3": {"--size", "160"},
	}))
	c := r.bot(t, 0)
	waitUntil(t, "the bot in the west zone", 10*time.Second, func() bool { return inZone(c, "DEV-ZONE-1") })
	crossAll(t, []*client.Conn{c}, -127, "DEV-ZONE-3")
	waitUntil(t, "the bot at the arrival point, past the first zone's map", 5*time.Second, func() bool {
		x, y, ok := selfAt(c)
		return ok && math.Hypot(x-100, y-100) < 2
	})
	corrections := func() float64 {
		return r.metric(t, "DEV-GATEWAY-1", "gridrealm_gateway_corrections_total") + r.metric(t, "DEV-GATEWAY-2", "gridrealm_gateway_corrections_total")
	}
	before := corrections()
	never := func() bool { return false }
	// East, on ground the first zone's 64 m map does not have, then part of
	// the way back: the walk is judged by how far it got, not by how long
	// the inputs were sent (a loaded machine delays the first of them).
	walk(c, 127, 2*time.Second, never)
	c.SendInput(codec.Input{})
	waitUntil(t, "the bot well east of the arrival point", 5*time.Second, func() bool {
		x, _, ok := selfAt(c)
		return ok && x > 105
	})
	walk(c, -127, time.Second, never)
	c.SendInput(codec.Input{})
	if x, _, _ := selfAt(c); x < 64 || x > 160 {
		t.Fatalf("walked to x = %.1f: off the second zone's open ground", x)
	}
	if after := corrections(); after != before {
		t.Fatalf("%v corrections of an honest player's moves in the zone it arrived in", after-before)
	}
	if !inZone(c, "DEV-ZONE-3") {
		t.Fatal("the bot left the zone")
	}
}
