package zone

import (
	"bytes"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/content"
)

// namesEar is a gateway that mirrors which entity is in which cell (from
// the cells it subscribes to) and keeps the Names each character heard.
type namesEar struct {
	mu     sync.Mutex
	cellOf map[uint32][2]uint16     // entity → its cell (cx, cy), as last entered
	kindOf map[uint32]spatial.Enter // entity → how it entered
	names  map[uint64][]codec.Named // character → the Names it heard, all
}

func (g *namesEar) HandleMessage(_ *node.Node, m node.Message) {
	var msg wire.ZoneMessage
	if codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.ZoneBodyZoneTick {
		return
	}
	var tick wire.ZoneTick
	codec.Member(msg.Body, &tick)
	g.mu.Lock()
	defer g.mu.Unlock()
	var cell wire.ZoneCell
	var ch spatial.CellChanges
	for i := 0; i < tick.CellsLength(); i++ {
		tick.Cells(&cell, i)
		if codec.ReadCellDelta(cell.DeltaBytes(), 1<<20, &ch) != nil {
			continue
		}
		for _, e := range ch.Enters {
			g.cellOf[e.ID], g.kindOf[e.ID] = [2]uint16{ch.CX, ch.CY}, e
		}
	}
	var ev wire.ZonePlayerEvent
	for i := 0; i < tick.EventsLength(); i++ {
		tick.Events(&ev, i)
		var sm wire.ServerMessage
		if codec.DecodeServerMessage(ev.MessageBytes(), &sm) != nil || sm.BodyType() != wire.ServerBodyNames {
			continue
		}
		var n wire.Names
		codec.Member(sm.Body, &n)
		g.names[ev.Character()] = codec.ReadNames(&n, g.names[ev.Character()])
	}
}

func (g *namesEar) HandlePeer(*node.Node, node.PeerEvent) {}

// TestWhoIsNamesWhatThePlayerSees: a player asking who entities are (a
// real zone node and db, NPCs spread over a 256 m map) is told, in one
// Names, each asked entity in the cells it is shown, with its kind,
// template and name (a player's character name, an NPC template's name
// from the content), itself included; an entity three cells away or more,
// a player far off and an id no entity has are not told; a question from
// a character the zone does not hold is not answered.
func TestWhoIsNamesWhatThePlayerSees(t *testing.T) {
	ear := &namesEar{cellOf: map[uint32][2]uint16{}, kindOf: map[uint32]spatial.Enter{}, names: map[uint64][]codec.Named{}}
	r := startRigWith(t, Config{Checkpoint: time.Hour, NPCs: 1000,
		Zone: world.ZoneConfig{Map: world.MapConfig{Width: 256, Height: 256, Obstacles: -1}}}, ear)
	gw := r.realm
	at := map[string][2]float32{"Ann": {40, 40}, "Cid": {44, 44}, "Bob": {220, 220}}
	chars, ids := map[string]uint64{}, map[string]uint32{}
	for _, n := range []string{"Ann", "Cid", "Bob"} {
		c, err := r.db.Store().CreateCharacter("acct-"+n, n, "ZONE", at[n][0], at[n][1])
		if err != nil {
			t.Fatal(err)
		}
		chars[n] = c.ID
		e := <-r.enter(t, c.ID)
		if e.Refused != "" {
			t.Fatal(e.Refused)
		}
		ids[n] = e.NetID
	}
	every := make([]uint32, 0, 64)
	for cy := range uint32(8) {
		for cx := range uint32(8) {
			every = append(every, cy<<16|cx)
		}
	}
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().Subscribe(every)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every entity mirrored", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		_, b := ear.cellOf[ids["Bob"]]
		return len(ear.cellOf) >= 1000 && b
	})
	// Ann stands in cell (1, 1) and is shown (0..2, 0..2). Asked: every
	// entity in her own cell (none can leave her view within a tick or
	// two), every one three cells or more away (none can come into it),
	// and an id no entity has.
	ear.mu.Lock()
	var want, far []uint32
	for id, c := range ear.cellOf {
		switch {
		case c == [2]uint16{1, 1} && len(want) < 40:
			want = append(want, id)
		case c[0] >= 4 || c[1] >= 4:
			far = append(far, id)
		}
	}
	ear.mu.Unlock()
	if i := slices.Index(far, ids["Bob"]); i >= 0 {
		far[0], far[i] = far[i], far[0]
	}
	asked := append(slices.Clone(want), far[:codec.MaxWhoIs-1-len(want)]...)
	asked = append(asked, 1<<30)
	if !slices.Contains(want, ids["Ann"]) || !slices.Contains(want, ids["Cid"]) || !slices.Contains(asked, ids["Bob"]) || len(want) < 5 {
		t.Fatalf("the scene is not as meant: %d entities in Ann's cell, Ann %v, Cid %v, Bob asked %v", len(want),
			slices.Contains(want, ids["Ann"]), slices.Contains(want, ids["Cid"]), slices.Contains(asked, ids["Bob"]))
	}
	enc := codec.NewZoneEncoder()
	ask := func(who string) {
		t.Helper()
		if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay,
			Payload: enc.PlayerRequest(chars[who], codec.NewPlayerEncoder().WhoIs(asked))}); err != nil {
			t.Fatal(err)
		}
	}
	ask("Ann")
	waitFor(t, "Ann told", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return len(ear.names[chars["Ann"]]) > 0
	})
	time.Sleep(200 * time.Millisecond) // a second answer would come within a tick
	set, err := content.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	ear.mu.Lock()
	got := ear.names[chars["Ann"]]
	ear.mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("told %d names, want the %d entities of Ann's cell", len(got), len(want))
	}
	for _, n := range got {
		e := ear.kindOf[n.ID]
		name := ""
		switch {
		case n.ID == ids["Ann"]:
			name = "Ann"
		case n.ID == ids["Cid"]:
			name = "Cid"
		case set.NPCByID(e.Template) != nil:
			name = set.NPCByID(e.Template).Name
		}
		if !slices.Contains(want, n.ID) || n.Name != name || name == "" || n.Template != e.Template || uint8(n.Kind) != e.Kind {
			t.Fatalf("told %+v: want one of Ann's cell, named %q, template %d, kind %d", n, name, e.Template, e.Kind)
		}
	}
	// Bob, far off, asking about Ann and no one, is told nothing; nor is
	// a character the zone does not hold.
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay,
		Payload: enc.PlayerRequest(chars["Bob"]+1000, codec.NewPlayerEncoder().WhoIs(asked))}); err != nil {
		t.Fatal(err)
	}
	if err := gw.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay,
		Payload: enc.PlayerRequest(chars["Bob"], codec.NewPlayerEncoder().WhoIs([]uint32{1 << 30, ids["Ann"]}))}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	ear.mu.Lock()
	defer ear.mu.Unlock()
	if len(ear.names[chars["Bob"]]) != 0 || len(ear.names[chars["Bob"]+1000]) != 0 {
		t.Fatalf("Bob, far from Ann, was told %+v", ear.names[chars["Bob"]])
	}
}

// renamedContent returns the shipped content with the wolf template
// (id 1) given a display name, "Grey Wolf".
func renamedContent(t *testing.T) *content.Set {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(content.Default(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(content.Default(), path)
		m[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	npcs := m["npcs.yaml"].Data
	m["npcs.yaml"].Data = bytes.Replace(npcs, []byte("  wolf:\n    id: 1\n"), []byte("  wolf:\n    id: 1\n    name: Grey Wolf\n"), 1)
	if bytes.Equal(npcs, m["npcs.yaml"].Data) {
		t.Fatal("the shipped npcs.yaml no longer begins the wolf with its id")
	}
	set, err := content.Load(m, "renamed")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestAReloadThatRenamesATemplateTellsThePlayers: a content reload that
// gives the wolf template (id 1) a new name tells every player in the
// zone, unasked, the template's new name (a Names entry of id 0), and
// nothing of the templates it left alone; a set renames nothing of itself.
func TestAReloadThatRenamesATemplateTellsThePlayers(t *testing.T) {
	ear := &namesEar{cellOf: map[uint32][2]uint16{}, kindOf: map[uint32]spatial.Enter{}, names: map[uint64][]codec.Named{}}
	r := startRigWith(t, Config{Checkpoint: time.Hour, NPCs: 400,
		Zone: world.ZoneConfig{Map: world.MapConfig{Width: 64, Height: 64, Obstacles: -1}}}, ear)
	chars := map[string]uint64{}
	for _, n := range []string{"Ann", "Bob"} {
		c, err := r.db.Store().CreateCharacter("acct-"+n, n, "ZONE", 32, 32)
		if err != nil {
			t.Fatal(err)
		}
		if e := <-r.enter(t, c.ID); e.Refused != "" {
			t.Fatal(e.Refused)
		}
		chars[n] = c.ID
	}
	// A zone sends a gateway its players' events once it subscribed (here
	// to the map's four cells, mirrored).
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().Subscribe([]uint32{0, 1, 1 << 16, 1<<16 | 1})}); err != nil {
		t.Fatal(err)
	}
	if err := r.zone.Reload(renamedContent(t)); err != nil {
		t.Fatal(err)
	}
	want := codec.Named{Kind: wire.EntityKindNpc, Template: 1, Name: "Grey Wolf"}
	waitFor(t, "both players told the rename", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return slices.Contains(ear.names[chars["Ann"]], want) && slices.Contains(ear.names[chars["Bob"]], want)
	})
	ear.mu.Lock()
	for n, c := range chars {
		if got := ear.names[c]; len(got) != 1 {
			t.Errorf("%s was told %+v, want the wolf's rename alone", n, got)
		}
	}
	ear.mu.Unlock()
	if got := renamedNPCs(r.zone.content.Load(), renamedContent(t)); len(got) != 0 {
		t.Errorf("a set renames %+v of itself", got)
	}
	// A wolf asked about now is called by the new name.
	var wolves []uint32
	waitFor(t, "wolves mirrored", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		for id, e := range ear.kindOf {
			if e.Kind == spatial.KindNPC && e.Template == 1 && len(wolves) < 8 && !slices.Contains(wolves, id) {
				wolves = append(wolves, id)
			}
		}
		return len(wolves) == 8
	})
	if err := r.realm.Send("ZONE", node.Out{Kind: kinds.Zone, Priority: node.Gameplay,
		Payload: codec.NewZoneEncoder().PlayerRequest(chars["Ann"], codec.NewPlayerEncoder().WhoIs(wolves))}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ann told who the wolves are", func() bool {
		ear.mu.Lock()
		defer ear.mu.Unlock()
		return len(ear.names[chars["Ann"]]) > 1
	})
	ear.mu.Lock()
	defer ear.mu.Unlock()
	for _, n := range ear.names[chars["Ann"]][1:] {
		if n.Name != "Grey Wolf" || n.Template != 1 {
			t.Fatalf("a wolf asked about after the reload is told as %+v", n)
		}
	}
}
