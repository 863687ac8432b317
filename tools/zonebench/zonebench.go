package zonebench

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	archeecs "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/systems"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/content"
	"github.com/gridrealm/gridrealm/world/script"
)

// Config is a bench run.
type Config struct {
	Players, NPCs int
	Ticks         int
	Warmup        int // ticks run before measuring (default 200: 10 s at 20 Hz, for NPCs to walk out of their spawn points and players to spread, so that the cells have met their crowds)
	Seed          uint64
	Scenario      string // "spread" or "clump"
	Gateways      int    // default 4
	CellSize      int    // default 32
	// Content, when set, gives the rules, the NPCs' templates (its open
	// zone's spread) and runs its scripts (world/script, items kept in
	// memory); its NPCs die and respawn as in play.
	Content *content.Set
	// AllocProfile, when set, is where the allocations are written as a
	// pprof profile: every one of the measured ticks (the build's and the
	// warmup's are sampled at Go's default rate, one per 512 KiB).
	AllocProfile string
}

// Scenarios.
const (
	Spread = "spread"
	Clump  = "clump"
)

// Milliseconds are tick times.
type Milliseconds struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// Result is what a run measured.
type Result struct {
	Scenario              string         `json:"scenario"`
	Players               int            `json:"players"`
	NPCs                  int            `json:"npcs"`
	Ticks                 int            `json:"ticks"`
	WarmupTicks           int            `json:"warmup_ticks"`
	Gateways              int            `json:"gateways"`
	MapMetres             float64        `json:"map_metres"`
	TickMs                Milliseconds   `json:"tick_ms"`
	TimeDilationMin       float64        `json:"time_dilation_min"`
	CellDeltasPerTick     float64        `json:"cell_deltas_per_tick"`
	ZoneEgressBytesPerTk  float64        `json:"zone_egress_bytes_per_tick"`
	NaiveEgressBytesPerTk float64        `json:"naive_egress_bytes_per_tick"`
	EgressRatio           float64        `json:"naive_over_zone_egress"`
	BytesPerMovedEntity   float64        `json:"bytes_per_moved_entity"`
	MovedPerTick          float64        `json:"moved_entities_per_tick"`
	EntitiesAtEnd         int            `json:"entities_at_end"`
	AllocsPerTick         float64        `json:"allocs_per_tick"`
	StateHash             string         `json:"state_hash"`
	SystemMs              []SystemTime   `json:"system_ms_mean"`
	SlowestTick           SlowTick       `json:"slowest_tick"`
	Scripts               *ScriptFigures `json:"scripts,omitempty"`
	GoVersion             string         `json:"go"`
	CPUs                  int            `json:"cpus"`
}

// ScriptFigures are the scripts' share of a run with content.
type ScriptFigures struct {
	Content      string  `json:"content"`
	Calls        int64   `json:"calls"`
	CallsPerTick float64 `json:"calls_per_tick"`
	Errors       int64   `json:"errors"`
	Deferred     int64   `json:"deferred"`
	// UsPerCall is the scripts system's time over its calls (loot rolls
	// and area checks included).
	UsPerCall float64 `json:"us_per_call"`
	MsPerTick float64 `json:"ms_per_tick"`
}

// SlowTick is the slowest measured tick and where its time went.
type SlowTick struct {
	Tick    uint64       `json:"tick"`
	Ms      float64      `json:"ms"`
	Systems []SystemTime `json:"systems"`
}

// SystemTime is a system's time: its mean per measured tick (in
// system_ms_mean, where WorstMs is its slowest tick) or its time in one
// tick (in slowest_tick).
type SystemTime struct {
	Name    string  `json:"name"`
	Ms      float64 `json:"ms"`
	WorstMs float64 `json:"worst_ms,omitempty"`
}

// Run builds the scenario, runs it and measures it.
func Run(cfg Config) (Result, error) {
	if cfg.Gateways == 0 {
		cfg.Gateways = 4
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 200
	}
	if cfg.CellSize == 0 {
		cfg.CellSize = 32
	}
	switch {
	case cfg.Players < 0 || cfg.NPCs < 0 || cfg.Players+cfg.NPCs == 0:
		return Result{}, fmt.Errorf("bench zone: need players or NPCs (players %d, npcs %d)", cfg.Players, cfg.NPCs)
	case cfg.Ticks <= 0:
		return Result{}, fmt.Errorf("bench zone: --ticks must be positive")
	case cfg.Gateways < 1 || cfg.Gateways > world.MaxGateways:
		return Result{}, fmt.Errorf("bench zone: --gateways must be 1..%d", world.MaxGateways)
	case cfg.Scenario != Spread && cfg.Scenario != Clump:
		return Result{}, fmt.Errorf("bench zone: --scenario %q: want spread or clump", cfg.Scenario)
	}
	b, err := newBench(cfg)
	if err != nil {
		return Result{}, err
	}
	return b.run()
}

type bench struct {
	cfg     Config
	zone    *world.Zone
	side    float32
	players []playerSlot
	replica generic.Map[systems.Replica]
	scripts *script.Engine // with Content
}

type playerSlot struct {
	e       archeecs.Entity
	gateway world.GatewayID
	cell    int32
}

// The map is sized so that about 100 entities stand in each player's view
// (3 × 3 cells of 32 m): 92 m² per entity.
const areaPerEntity = 9 * 32 * 32 / 100.0

func newBench(cfg Config) (*bench, error) {
	total := cfg.Players + cfg.NPCs
	side := float32(math.Ceil(math.Sqrt(float64(total)*areaPerEntity*float64(cfg.CellSize*cfg.CellSize)/(32*32)) + 64))
	// NPCs are tough, so that the players' attacks do not empty the zone
	// during the run: the load stays what the scenario says it is.
	zc := world.ZoneConfig{Name: "BENCH-ZONE", Seed: cfg.Seed, CellSize: cfg.CellSize,
		Map:   world.MapConfig{Width: side, Height: side, Seed: cfg.Seed},
		Rules: systems.Rules{NPCHealth: 2000}}
	kinds := func(i int) (uint16, uint8) { return uint16(1 + i%16), uint8(1 + i%60) }
	if set := cfg.Content; set != nil {
		zc.Rules, zc.Bestiary = set.Rules, set.Bestiary
		if d := set.Zones["open"]; d != nil && len(d.SpreadNPCs) > 0 {
			kinds = func(i int) (uint16, uint8) {
				n := d.SpreadNPCs[i%len(d.SpreadNPCs)]
				if lo, hi := d.SpreadLevel[0], d.SpreadLevel[1]; lo > 0 {
					return n.ID, lo + uint8(i%(int(hi-lo)+1))
				}
				return n.ID, n.Level
			}
		}
	}
	z, err := world.NewZone(zc, nil)
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, zone: z, side: side, replica: generic.NewMap[systems.Replica](&z.World.ECS)}
	cx, cy := side/2, side/2
	place := func(r float32) (float32, float32, error) {
		x, y, ok := z.RandomWalkable(cx, cy, r)
		if !ok {
			return 0, 0, fmt.Errorf("bench zone: no walkable point near (%.0f, %.0f)", cx, cy)
		}
		return x, y, nil
	}
	spawnR, roamR := side/2-8, float32(60)
	if cfg.Scenario == Clump {
		spawnR, roamR = 50, 50 // every player inside one 100 m circle
	}
	for i := 0; i < cfg.NPCs; i++ {
		x, y, err := place(spawnR)
		if err != nil {
			return nil, err
		}
		template, level := kinds(i)
		if _, err := z.SpawnNPC(x, y, template, level); err != nil {
			return nil, err
		}
	}
	for i := 0; i < cfg.Players; i++ {
		x, y, err := place(spawnR)
		if err != nil {
			return nil, err
		}
		e, err := z.SpawnPlayer(x, y, uint16(i%8))
		if err != nil {
			return nil, err
		}
		ax, ay := x, y
		if cfg.Scenario == Clump {
			ax, ay = cx, cy
		}
		z.MakeBot(e, ax, ay, roamR)
		b.players = append(b.players, playerSlot{e: e, gateway: world.GatewayID(i % cfg.Gateways), cell: spatial.NoCell})
	}
	// The gateways follow their players: each subscribes to the view of
	// every player it holds, after replication and before publishing.
	z.Schedule.Add(ecs.PhaseReplication, "gateways", gatewayModel{b})
	if cfg.Content != nil {
		host := script.NewMemoryHost(z, nil)
		for i, p := range b.players {
			host.Names[p.e] = fmt.Sprintf("bot%d", i)
		}
		if b.scripts, err = script.New(z, cfg.Content, "open", host, nil, nil); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// gatewayModel plays the gateways' part of interest management in the
// bench: a gateway holds a reference on every cell in its players' views.
type gatewayModel struct{ b *bench }

func (g gatewayModel) Run(*ecs.World) {
	b := g.b
	r := b.zone.Config().ViewRadius
	for i := range b.players {
		p := &b.players[i]
		cell := b.replica.Get(p.e).Cell
		if cell == p.cell {
			continue
		}
		if p.cell != spatial.NoCell {
			b.zone.Cells.Area(p.cell, r, func(c int32) { b.zone.Publisher.Unsubscribe(p.gateway, c) })
		}
		b.zone.Cells.Area(cell, r, func(c int32) { b.zone.Publisher.Subscribe(p.gateway, c) })
		p.cell = cell
	}
}

func (b *bench) run() (Result, error) {
	z := b.zone
	for i := 0; i < b.cfg.Warmup; i++ {
		z.Tick()
	}
	startTimings := z.Schedule.Timings()
	timings := make([]ecs.SystemTiming, 0, len(startTimings))
	worst := make([]time.Duration, len(startTimings))
	if b.cfg.AllocProfile != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	var calls0, errors0, deferred0 int64
	if b.scripts != nil {
		calls0, errors0, deferred0 = b.scripts.Stats.Calls.Load(), b.scripts.Stats.Errors.Load(), b.scripts.Stats.Deferred.Load()
	}
	var m tickFigures
	m.works = make([]float64, 0, b.cfg.Ticks)
	m.slowest = SlowTick{Systems: make([]SystemTime, 0, len(startTimings))}
	m.dilationMin = 1.0
	// Counted from here: the bench's own bookkeeping is made above.
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	for i := 0; i < b.cfg.Ticks; i++ {
		timings = b.tick(&m, timings, worst)
	}
	works, slowest, dilationMin := m.works, m.slowest, m.dilationMin
	deltas, egress, naive, bytesAll, moved := m.deltas, m.egress, m.naive, m.bytesAll, m.moved
	// The dilation the last tick asks of the next counts too.
	dilationMin = min(dilationMin, z.Loop.Dilation())
	runtime.ReadMemStats(&ms)
	ticks := float64(b.cfg.Ticks)
	if b.cfg.AllocProfile != "" {
		if err := writeAllocProfile(b.cfg.AllocProfile); err != nil {
			return Result{}, err
		}
	}

	res := Result{
		Scenario: b.cfg.Scenario, Players: b.cfg.Players, NPCs: b.cfg.NPCs, Ticks: b.cfg.Ticks, WarmupTicks: b.cfg.Warmup,
		Gateways: b.cfg.Gateways, MapMetres: float64(b.side),
		TickMs:          percentiles(works),
		TimeDilationMin: dilationMin, CellDeltasPerTick: deltas / ticks,
		ZoneEgressBytesPerTk: egress / ticks, NaiveEgressBytesPerTk: naive / ticks,
		MovedPerTick:  moved / ticks,
		EntitiesAtEnd: z.Entities(),
		AllocsPerTick: float64(ms.Mallocs-mallocs) / ticks,
		StateHash:     fmt.Sprintf("%016x", z.StateHash()),
		GoVersion:     runtime.Version(), CPUs: runtime.NumCPU(),
		SlowestTick: slowest,
	}
	if egress > 0 {
		res.EgressRatio = naive / egress
	}
	if moved > 0 {
		res.BytesPerMovedEntity = bytesAll / moved
	}
	end := z.Schedule.Timings()
	for i, t := range end {
		res.SystemMs = append(res.SystemMs, SystemTime{Name: t.Name,
			Ms:      float64(t.Total-startTimings[i].Total) / float64(time.Millisecond) / ticks,
			WorstMs: float64(worst[i]) / float64(time.Millisecond)})
	}
	res.Scripts = b.scriptFigures(res.SystemMs, ticks, calls0, errors0, deferred0)
	return res, nil
}

// tickFigures add up the measured ticks.
type tickFigures struct {
	works                                  []float64
	slowest                                SlowTick
	dilationMin                            float64
	deltas, egress, naive, bytesAll, moved float64
}

// tick runs one measured tick and adds it up; worst is each system's
// slowest tick so far. It returns timings (a buffer reused tick to tick).
func (b *bench) tick(m *tickFigures, timings []ecs.SystemTiming, worst []time.Duration) []ecs.SystemTiming {
	z := b.zone
	st := z.Tick()
	work := float64(st.Work) / float64(time.Millisecond)
	m.works = append(m.works, work)
	timings = z.Schedule.AppendTimings(timings[:0])
	for i, t := range timings {
		worst[i] = max(worst[i], t.Last)
	}
	if work > m.slowest.Ms {
		m.slowest = SlowTick{Tick: st.Tick, Ms: work, Systems: m.slowest.Systems[:0]}
		for _, t := range timings {
			m.slowest.Systems = append(m.slowest.Systems, SystemTime{Name: t.Name, Ms: float64(t.Last) / float64(time.Millisecond)})
		}
	}
	m.dilationMin = min(m.dilationMin, st.Dilation)
	out := z.Publisher.Output()
	m.deltas += float64(len(out.Cells))
	for _, c := range out.Cells {
		n := float64(len(c.Bytes))
		m.bytesAll += n
		m.moved += float64(c.Moved)
		m.egress += n * float64(popcount(c.Gateways))
		m.naive += n * float64(z.Publisher.Watchers(c.Cell))
	}
	for _, f := range out.Full {
		m.egress += float64(len(f.Bytes))
	}
	return timings
}

func writeAllocProfile(path string) error {
	runtime.GC() // the profile holds what the last collection published
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench zone: alloc profile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("bench zone: alloc profile: %w", err)
	}
	return f.Close()
}

// scriptFigures are the scripts' figures of a run with content (nil
// without).
func (b *bench) scriptFigures(systems []SystemTime, ticks float64, calls0, errors0, deferred0 int64) *ScriptFigures {
	if b.scripts == nil {
		return nil
	}
	st := &b.scripts.Stats
	f := &ScriptFigures{Content: b.cfg.Content.Dir + " " + b.cfg.Content.Version, Calls: st.Calls.Load() - calls0,
		Errors: st.Errors.Load() - errors0, Deferred: st.Deferred.Load() - deferred0}
	f.CallsPerTick = float64(f.Calls) / ticks
	for _, t := range systems {
		if t.Name == "scripts" {
			f.MsPerTick = t.Ms
			if f.Calls > 0 {
				f.UsPerCall = t.Ms * 1000 * ticks / float64(f.Calls)
			}
		}
	}
	return f
}

func percentiles(v []float64) Milliseconds {
	s := slices.Clone(v)
	slices.Sort(s)
	at := func(p float64) float64 { return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)] }
	return Milliseconds{P50: at(0.50), P99: at(0.99), P999: at(0.999), Max: s[len(s)-1]}
}

func popcount(v uint64) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}
