package integration

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"
)

// TestBenchGatewayPrintsJSON: realm bench gateway starts a realm of
// processes, plays a few bots against it and prints the live path's
// figures (a short run; make bench-live runs the real one). Its zone
// shows each player its 4 nearest: the bound goes from the zone's flag to
// the gateways and holds at every bot.
func TestBenchGatewayPrintsJSON(t *testing.T) {
	out, err := exec.Command(realmBin, "bench", "gateway", "--players", "8", "--duration", "4s", "--ramp", "20",
		"--port-base", strconv.Itoa(upBase(520)), "--scenario", "crowd", "--max-visible", "4", "--json").Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var r map[string]any
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"gateway_cpu_us_per_player_tick", "udp_send_cpu_us", "gateway_over_floor", "swarm_cpu_us_per_bot_tick",
		"datagrams_per_player_s", "bytes_per_player_s", "snapshot_age_ms"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON lacks %q:\n%s", k, out)
		}
	}
	if r["connected"] != float64(8) || r["gateway_cpu_us_per_player_tick"].(float64) <= 0 || r["udp_send_cpu_us"].(float64) <= 0 ||
		r["datagrams_per_player_s"].(float64) < 5 || r["bytes_per_player_s"].(float64) <= 0 {
		t.Fatalf("%s", out)
	}
	// The gateways' own count of player ticks (the console's divisor) is
	// the bench's: 8 players at 20 Hz, less the ticks a busy CI box's zone
	// lost, or a little more when it caught up on some in the window (at
	// 1,000 players on the 2-core VM: 20.6); not twice it.
	if pt := r["player_ticks_per_player_s"].(float64); pt < 5 || pt > 26 {
		t.Fatalf("player ticks a player a second: %v, want about 20\n%s", pt, out)
	}
	if r["max_visible"] != float64(4) || r["view_max"] != float64(4) || r["view_mean"].(float64) < 3 {
		t.Fatalf("8 players in a crowd, each shown its 4 nearest: views of %v on average, %v at most\n%s", r["view_mean"], r["view_max"], out)
	}
}
