package zonebench

import (
	"strings"
	"testing"
)

func TestRunMeasuresBothScenarios(t *testing.T) {
	for _, sc := range []string{Spread, Clump} {
		r, err := Run(Config{Players: 100, NPCs: 400, Ticks: 20, Warmup: 10, Seed: 3, Scenario: sc})
		if err != nil {
			t.Fatal(err)
		}
		if r.TickMs.P50 <= 0 || r.TickMs.P99 < r.TickMs.P50 || r.TickMs.Max < r.TickMs.P99 {
			t.Errorf("%s: tick times %+v", sc, r.TickMs)
		}
		if r.CellDeltasPerTick <= 0 || r.ZoneEgressBytesPerTk <= 0 || r.MovedPerTick <= 0 || r.BytesPerMovedEntity <= 0 {
			t.Errorf("%s: nothing published: %+v", sc, r)
		}
		// Every player watches the cells it is in, so sending each player its
		// view costs at least what one copy per gateway costs.
		if r.NaiveEgressBytesPerTk < r.ZoneEgressBytesPerTk {
			t.Errorf("%s: naive %v < zone %v", sc, r.NaiveEgressBytesPerTk, r.ZoneEgressBytesPerTk)
		}
		if r.EntitiesAtEnd != 500 || r.TimeDilationMin <= 0 || r.TimeDilationMin > 1 || len(r.SystemMs) == 0 {
			t.Errorf("%s: %+v", sc, r)
		}
	}
}

func TestSameSeedSameHash(t *testing.T) {
	cfg := Config{Players: 50, NPCs: 200, Ticks: 30, Warmup: 10, Seed: 11, Scenario: Spread}
	a, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Run(cfg)
	cfg.Seed = 12
	c, _ := Run(cfg)
	if a.StateHash != b.StateHash || a.StateHash == c.StateHash {
		t.Fatalf("hashes %s %s %s", a.StateHash, b.StateHash, c.StateHash)
	}
}

func TestBadConfigs(t *testing.T) {
	cases := map[string]Config{
		"players or NPCs": {Ticks: 1, Scenario: Spread},
		"--ticks":         {Players: 1, Scenario: Spread},
		"--gateways":      {Players: 1, Ticks: 1, Scenario: Spread, Gateways: 65},
		"--scenario":      {Players: 1, Ticks: 1, Scenario: "crowd"},
	}
	for want, cfg := range cases {
		if _, err := Run(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", cfg, err, want)
		}
	}
}

// A zone's tick in steady state does not allocate: its tables grow only
// past a new peak, from chunks (ecs/spatial/slab.go), so that over 300
// ticks of players and NPCs fighting and wandering in both scenarios fewer
// than one allocation a tick remains. A per-tick allocation anywhere in
// the schedule (an event slice built per call, a path per search) fails it.
func TestSteadyTicksDoNotAllocate(t *testing.T) {
	for _, sc := range []string{Spread, Clump} {
		r, err := Run(Config{Players: 500, NPCs: 3000, Ticks: 300, Warmup: 100, Seed: 5, Scenario: sc})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.4f allocations a tick", sc, r.AllocsPerTick)
		if r.AllocsPerTick > 0.1 {
			t.Errorf("%s: %.2f allocations a tick in steady state", sc, r.AllocsPerTick)
		}
		var worst float64
		for _, s := range r.SystemMs {
			if s.WorstMs < s.Ms {
				t.Errorf("%s: %s's worst tick %.3f ms < its mean %.3f", sc, s.Name, s.WorstMs, s.Ms)
			}
			worst = max(worst, s.WorstMs)
		}
		if r.TickMs.P999 < r.TickMs.P99 || r.TickMs.Max < r.TickMs.P999 || worst > r.TickMs.Max+0.01 {
			t.Errorf("%s: tick %+v, a system's worst %.3f", sc, r.TickMs, worst)
		}
	}
}
