package content

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// base is a small valid content set; each case breaks one thing.
func base() fstest.MapFS {
	return fstest.MapFS{
		"items.yaml": {Data: []byte(`items:
  pelt: {id: 1, stackable: true, tradable: true}
  draught:
    id: 2
    usable: true
    consumed: true
    on_use: fx.star:drink
`)},
		"npcs.yaml": {Data: []byte(`npcs:
  wolf:
    id: 1
    health: 80
    loot:
      - {item: pelt, chance: 0.5, count: [1, 2]}
    on_death: fx.star:died
`)},
		"zones.yaml": {Data: []byte(`zones:
  open:
    map: {size: 256}
    camps:
      - {npc: wolf, x: 100, y: 100, count: 3, radius: 5}
instances:
  cave:
    map: {size: 128}
    player_cap: 5
commands:
  roll: fx.star:roll
`)},
		"scripts/fx.star": {Data: []byte(`def drink(ev):
    pass

def died(ev):
    pass

def roll(ev):
    pass
`)},
		"maps/small.map": {Data: []byte("gridrealm-map 1 1\n" + strings.Repeat(strings.Repeat(".", 64)+"\n", 64))},
	}
}

func TestBaseContentLoads(t *testing.T) {
	s, err := Load(base(), "base")
	if err != nil {
		t.Fatal(err)
	}
	if s.NPCs["wolf"].Loot[0].Item != s.Items["pelt"] || s.Commands["roll"].Func != "roll" {
		t.Fatalf("resolved badly: %+v", s.NPCs["wolf"])
	}
	if s.NPCs["wolf"].Title != "wolf" || s.Zones["open"].Title != "open" || s.Instances["cave"].Title != "cave" {
		t.Fatalf("a template, zone or instance without a name: is called %q, %q, %q, want its key", s.NPCs["wolf"].Title,
			s.Zones["open"].Title, s.Instances["cave"].Title)
	}
	m := base()
	edit("npcs.yaml", "id: 1\n", "id: 1\n    name: Grey Wolf\n")(m)
	edit("zones.yaml", "  open:\n", "  open:\n    name: Westfall Hills\n")(m)
	edit("zones.yaml", "  cave:\n", "  cave:\n    name: \"The Bandits' Cave\"\n")(m)
	if s, err = Load(m, "named"); err != nil || s.NPCs["wolf"].Title != "Grey Wolf" || s.NPCs["wolf"].Name != "wolf" ||
		s.Zones["open"].Title != "Westfall Hills" || s.Instances["cave"].Title != "The Bandits' Cave" {
		t.Fatalf("a named template: %v, %+v", err, s)
	}
}

// edit replaces old by new in a file of the base set.
func edit(file, old, new string) func(fstest.MapFS) {
	return func(m fstest.MapFS) {
		d := string(m[file].Data)
		if !strings.Contains(d, old) {
			panic(file + " lacks " + old)
		}
		m[file] = &fstest.MapFile{Data: []byte(strings.Replace(d, old, new, 1))}
	}
}

func add(file, text string) func(fstest.MapFS) {
	return func(m fstest.MapFS) { m[file] = &fstest.MapFile{Data: []byte(text)} }
}

// Every kind of mistake a designer makes is refused with the file, line
// and field of each.
func TestCheckRejectsMistakes(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(fstest.MapFS)
		want   []string // each error's "file:line: field" prefix and a word of its message
	}{
		{"yaml syntax", edit("npcs.yaml", "health: 80", "health: [80"), []string{"npcs.yaml:", "did not find"}},
		{"unknown field", edit("npcs.yaml", "health: 80", "helth: 80"), []string{"npcs.yaml:4: npcs.wolf.helth: unknown field"}},
		{"wrong type", edit("npcs.yaml", "health: 80", "health: lots"), []string{"npcs.yaml:4:", "cannot unmarshal"}},
		{"negative number", edit("npcs.yaml", "health: 80", "health: -5"), []string{"npcs.yaml:4: npcs.wolf.health: must not be negative"}},
		{"duplicate id", edit("items.yaml", "draught:\n    id: 2", "draught:\n    id: 1"), []string{"items.yaml:2: items.pelt.id: 1 is item draught's id too"}},
		{"unknown loot item", edit("npcs.yaml", "item: pelt", "item: fur"), []string{"npcs.yaml:6: npcs.wolf.loot[0].item: no item \"fur\""}},
		{"chance out of range", edit("npcs.yaml", "chance: 0.5", "chance: 1.5"), []string{"npcs.yaml:6: npcs.wolf.loot[0].chance: want more than 0"}},
		{"count range", edit("npcs.yaml", "count: [1, 2]", "count: [3, 2]"), []string{"npcs.yaml:6: npcs.wolf.loot[0].count: want 1 ≤ min ≤ max"}},
		{"camp of unknown npc", edit("zones.yaml", "npc: wolf", "npc: wolves"), []string{"zones.yaml:5: zones.open.camps[0].npc: no npc \"wolves\""}},
		{"camp off the map", edit("zones.yaml", "x: 100", "x: 900"), []string{"zones.yaml:5: zones.open.camps[0].x: (900, 100) is not on the 256 × 256 m map"}},
		{"missing script", edit("npcs.yaml", "fx.star:died", "boss.star:died"), []string{"npcs.yaml:7: npcs.wolf.on_death: no script scripts/boss.star"}},
		{"missing function", edit("npcs.yaml", "fx.star:died", "fx.star:dies"), []string{"npcs.yaml:7: npcs.wolf.on_death: scripts/fx.star defines no function dies"}},
		{"script syntax", edit("scripts/fx.star", "def roll(ev):\n    pass", "def roll(ev):\n    return ("), []string{"scripts/fx.star:9:", "want primary expression"}},
		{"script outside its API", edit("scripts/fx.star", "def roll(ev):\n    pass", "def roll(ev):\n    open(\"/etc/passwd\")"), []string{"scripts/fx.star:8:", "undefined: open"}},
		{"usable without handler", edit("items.yaml", "    on_use: fx.star:drink\n", ""), []string{"items.yaml:3: items.draught.on_use: a usable item has an on_use handler"}},
		{"max_visible out of range", edit("zones.yaml", "map: {size: 256}", "map: {size: 256}\n    max_visible: -3"), []string{"zones.yaml:4: zones.open.max_visible: want 0..65535"}},
		{"instance without cap", edit("zones.yaml", "    player_cap: 5\n", ""), []string{"zones.yaml:7: instances.cave.player_cap: want 1..1000"}},
		{"bad command name", edit("zones.yaml", "roll: fx", "party: fx"), []string{"zones.yaml:11: commands.party: a command is"}},
		{"defined twice", add("more.yaml", "npcs:\n  wolf: {id: 9}\n"), []string{"npcs.yaml:2: npcs.wolf: defined again (first in more.yaml:2)"}},
		{"broken map file", func(m fstest.MapFS) {
			edit("zones.yaml", "map: {size: 256}", "map: {file: maps/small.map}")(m)
			edit("maps/small.map", strings.Repeat(".", 64)+"\n", strings.Repeat(".", 63)+"x\n")(m)
		}, []string{"maps/small.map:2:", "is not a tile"}},
		{"name with a newline", edit("npcs.yaml", "health: 80", "health: 80\n    name: \"Grey\\nWolf\""), []string{"npcs.yaml:5: npcs.wolf.name: \"Grey\\nWolf\" holds a control character"}},
		{"name too long", edit("npcs.yaml", "health: 80", "health: 80\n    name: "+strings.Repeat("w", 129)), []string{"npcs.yaml:5: npcs.wolf.name: want 1..128 bytes, not 129"}},
		{"level out of range", edit("npcs.yaml", "health: 80", "health: 80\n    level: 300"), []string{"npcs.yaml:5: npcs.wolf.level: want 1..255"}},
		{"zone name with a tab", edit("zones.yaml", "map: {size: 256}", "map: {size: 256}\n    name: \"West\\tfall\""), []string{"zones.yaml:4: zones.open.name: \"West\\tfall\" holds a control character"}},
		{"instance name too long", edit("zones.yaml", "    player_cap: 5\n", "    player_cap: 5\n    name: "+strings.Repeat("c", 129)+"\n"),
			[]string{"zones.yaml:10: instances.cave.name: want 1..128 bytes, not 129"}},
		{"two mistakes, both reported", func(m fstest.MapFS) {
			edit("npcs.yaml", "chance: 0.5", "chance: 0")(m)
			edit("zones.yaml", "count: 3", "count: -1")(m)
		}, []string{"npcs.yaml:6: npcs.wolf.loot[0].chance", "zones.yaml:5: zones.open.camps[0].count"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base()
			c.break_(m)
			_, err := Load(m, "broken")
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("loaded (err %v)", err)
			}
			text := es.Error()
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("errors lack %q:\n%s", w, text)
				}
			}
			for _, e := range es {
				if e.File == "" || e.Line == 0 {
					t.Errorf("an error without its file and line: %+v", e)
				}
			}
		})
	}
}

// The shipped content is valid, and every script handler it names exists.
func TestDefaultContent(t *testing.T) {
	s, err := LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	if s.Zones["open"] == nil || s.Instances["crypt"] == nil || s.NPCs["lich"] == nil {
		t.Fatal("the default realm's zone, dungeon or boss is missing")
	}
	if _, err := fs.Stat(Default(), "scripts/boss.star"); err != nil {
		t.Fatal(err)
	}
}
