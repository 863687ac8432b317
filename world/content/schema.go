package content

// The schema of a content directory. Every *.yaml file of the directory
// (not its subdirectories) may hold any of these sections; a name defined
// in two places is an error. Maps (maps/*.map) and scripts (scripts/*.star)
// are files of their own, named from the YAML. Zero numbers mean the
// engine's default unless a field says otherwise.

// File is one YAML file.
type File struct {
	Rules     *Rules               `yaml:"rules"`
	NPCs      map[string]NPC       `yaml:"npcs"`
	Items     map[string]Item      `yaml:"items"`
	Zones     map[string]Zone      `yaml:"zones"`
	Instances map[string]Instance  `yaml:"instances"`
	Commands  map[string]string    `yaml:"commands"` // chat command (without '/') → handler
	Timers    map[string]TimerSpec `yaml:"timers"`
}

// Rules are the realm-wide gameplay numbers (systems.Rules).
type Rules struct {
	PlayerSpeed    float32 `yaml:"player_speed"`
	PlayerHealth   int32   `yaml:"player_health"`
	PlayerDamage   int32   `yaml:"player_damage"`
	PlayerRange    float32 `yaml:"player_range"`
	PlayerCooldown uint64  `yaml:"player_cooldown_ticks"`
	ThinkEvery     uint64  `yaml:"think_every_ticks"`
	IdleTicks      uint64  `yaml:"idle_ticks"`
	PathEvery      uint64  `yaml:"path_every_ticks"`
	PathsPerTick   int     `yaml:"paths_per_tick"`
	RegenEvery     uint64  `yaml:"regen_every_ticks"`
	RegenDelay     uint64  `yaml:"regen_delay_ticks"`
	RegenFraction  float32 `yaml:"regen_fraction"`
	// ScriptSteps bounds one script call (Starlark steps; default 100,000)
	// and ScriptTickSteps all the calls of one tick (default 2,000,000).
	ScriptSteps     uint64 `yaml:"script_steps"`
	ScriptTickSteps uint64 `yaml:"script_tick_steps"`
	// ScriptFailures is how many failures in a row disable a handler
	// (default 3).
	ScriptFailures int `yaml:"script_failures"`
	// Reload says what a changed NPC template does to the NPCs already
	// spawned from it: "live" (default) gives them the new numbers at once,
	// "respawn" leaves them until they die and come back.
	Reload string `yaml:"reload"`
}

// NPC is an NPC template.
type NPC struct {
	// ID is what clients see (Appearance.Template): 1..65535, unique.
	ID int `yaml:"id"`
	// Name is what players are told it is called (Names): a display name,
	// such as "Grey Wolf" (default: the template's key). Renaming it in a
	// reload tells every player in the zone.
	Name     string  `yaml:"name"`
	Level    int     `yaml:"level"` // 1..255 (default 1)
	Health   int32   `yaml:"health"`
	Damage   int32   `yaml:"damage"`
	Range    float32 `yaml:"range"`
	Cooldown uint64  `yaml:"cooldown_ticks"`
	Walk     float32 `yaml:"walk"`
	Run      float32 `yaml:"run"`
	Aggro    float32 `yaml:"aggro"`
	Leash    float32 `yaml:"leash"`
	Wander   float32 `yaml:"wander"`
	Respawn  uint64  `yaml:"respawn_ticks"`
	// PerLevel is what each level above 1 adds.
	PerLevel struct {
		Health int32 `yaml:"health"`
		Damage int32 `yaml:"damage"`
	} `yaml:"per_level"`
	// Peaceful NPCs never attack, and players' attacks pass them by.
	Peaceful bool   `yaml:"peaceful"`
	Loot     []Loot `yaml:"loot"`
	// OnDeath is a handler (FILE.star:FUNCTION) called when one dies.
	OnDeath string `yaml:"on_death"`
	// OnTalk is called when a player says /talk near one.
	OnTalk string `yaml:"on_talk"`
}

// Loot is one line of a loot table: each kill rolls every line.
type Loot struct {
	Item   string  `yaml:"item"`
	Chance float64 `yaml:"chance"` // 0 < chance ≤ 1
	Count  []int   `yaml:"count"`  // [n] or [min, max] (default [1])
}

// Item is an item template.
type Item struct {
	ID        int  `yaml:"id"` // 1..2^31, unique: the db's item template
	Stackable bool `yaml:"stackable"`
	Tradable  bool `yaml:"tradable"`
	Usable    bool `yaml:"usable"`
	// Consumed items are destroyed when used.
	Consumed bool `yaml:"consumed"`
	// OnUse is the handler of a usable item.
	OnUse string `yaml:"on_use"`
}

// MapSpec is a zone's ground: a map file, or a generated map.
type MapSpec struct {
	File      string  `yaml:"file"`      // maps/NAME.map, relative to the content directory
	Size      float32 `yaml:"size"`      // edge of a generated map, metres (default 1024)
	Obstacles float64 `yaml:"obstacles"` // share covered (default 0.05; negative: none)
}

// Spread scatters NPCs over a whole open zone, cycling through the
// templates and levels.
type Spread struct {
	Count  int      `yaml:"count"`
	NPCs   []string `yaml:"npcs"`
	Levels []int    `yaml:"levels"` // [min, max] (default the template's)
}

// Camp places Count NPCs of a template within Radius of (X, Y).
type Camp struct {
	NPC    string  `yaml:"npc"`
	X      float32 `yaml:"x"`
	Y      float32 `yaml:"y"`
	Count  int     `yaml:"count"` // default 1
	Radius float32 `yaml:"radius"`
	Level  int     `yaml:"level"` // default the template's
}

// Area is a rectangle of a map whose OnEnter handler runs when a player
// steps in.
type Area struct {
	Name    string  `yaml:"name"`
	X0      float32 `yaml:"x0"`
	Y0      float32 `yaml:"y0"`
	X1      float32 `yaml:"x1"`
	Y1      float32 `yaml:"y1"`
	OnEnter string  `yaml:"on_enter"`
}

// System is a script run as a system of the simulation phase every Every
// ticks, over the NPCs of a template (or with none).
type System struct {
	Handler string `yaml:"handler"`
	Every   uint64 `yaml:"every_ticks"` // default 1
	NPC     string `yaml:"npc"`         // the query: NPCs of this template
}

// TimerSpec is a repeating timer: its handler runs every Every ticks.
type TimerSpec struct {
	Handler string `yaml:"handler"`
	Every   uint64 `yaml:"every_ticks"`
}

// Zone is an open zone's content.
type Zone struct {
	// Name is what players are told the zone is called (Welcome.zone_name,
	// and a party's members elsewhere): a display name, such as "Westfall
	// Hills" (default: the zone's key).
	Name string  `yaml:"name"`
	Map  MapSpec `yaml:"map"`
	// MaxVisible is the most entities a player is shown, the nearest
	// (world.ZoneConfig.MaxVisible; 0: every one in view).
	MaxVisible int      `yaml:"max_visible"`
	Spread     *Spread  `yaml:"spread"`
	Camps      []Camp   `yaml:"camps"`
	Areas      []Area   `yaml:"areas"`
	Systems    []System `yaml:"systems"`
}

// Instance is an instance template (a dungeon).
type Instance struct {
	// Name is what players are told a copy is called, as a zone's.
	Name      string    `yaml:"name"`
	Map       MapSpec   `yaml:"map"`
	PlayerCap int       `yaml:"player_cap"`
	Entry     []float32 `yaml:"entry"` // [x, y] (default the map's centre)
	Camps     []Camp    `yaml:"camps"`
	Areas     []Area    `yaml:"areas"`
	Systems   []System  `yaml:"systems"`
}
