package zone

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/persist/db/dbtest"
	"github.com/gridrealm/gridrealm/world"
)

// TestLiveView: with the admin token, an operator gets frames of every
// entity (a stream, or one), and the terrain; without it, nothing.
func TestLiveView(t *testing.T) {
	d := dbtest.Start(t, secret)
	z, err := Start(Config{Node: node.Config{ID: "ZONE", Secret: secret, Listen: "127.0.0.1:0", Admin: "127.0.0.1:0", AdminToken: "tok",
		Logger: quiet(), Peers: []node.Peer{dbtest.Peer(d)}}, DB: "DB", NPCs: 20,
		Zone: world.ZoneConfig{Name: "ZONE", Seed: 1, Map: world.MapConfig{Width: 128, Height: 128, Obstacles: 0.1}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	get := func(path, token string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, "http://"+z.Node().AdminAddr()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, path := range []string{"/zone/view?once=1", "/zone/view", "/zone/terrain"} {
		if resp := get(path, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s without the token: %d", path, resp.StatusCode)
		}
	}
	var f ViewFrame
	resp := get("/zone/view?once=1", "tok")
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil || f.Zone != "ZONE" || len(f.Entities) != 20 || f.Width != 128 {
		t.Fatalf("a frame: %+v %v", f, err)
	}
	for _, e := range f.Entities {
		if e[0] == 0 || e[1] != 2 || e[2] < 0 || e[2] > 128 || e[3] < 0 || e[3] > 128 {
			t.Fatalf("an NPC at %v", e)
		}
	}
	var terrain struct {
		Cols, Rows int
		Blocked    []byte
	}
	resp = get("/zone/terrain", "tok")
	if err := json.NewDecoder(resp.Body).Decode(&terrain); err != nil || terrain.Cols*terrain.Rows == 0 || len(terrain.Blocked) != (terrain.Cols*terrain.Rows+7)/8 {
		t.Fatalf("terrain %+v %v", terrain, err)
	}
	// The stream: new frames keep coming, five a second.
	resp = get("/zone/view", "tok")
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var ticks []uint64
	deadline := time.Now().Add(5 * time.Second)
	for len(ticks) < 3 && time.Now().Before(deadline) && sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var f ViewFrame
			if err := json.Unmarshal([]byte(data), &f); err != nil {
				t.Fatal(err)
			}
			ticks = append(ticks, f.Tick)
		}
	}
	if len(ticks) < 3 || ticks[1] <= ticks[0] || ticks[2] <= ticks[1] {
		t.Fatalf("frames of ticks %v", ticks)
	}
}
