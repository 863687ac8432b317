package integration

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/tools/console"
	"github.com/gridrealm/gridrealm/tools/launch"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// consoleAt is the console of the reviver holding the lease.
func (r *devRealm) consoleAt(t *testing.T) string {
	t.Helper()
	l, err := reviver.ReadLease(r.entry("DEV-REVIVER-1").Data)
	if err != nil || l.Admin == "" {
		t.Fatalf("the lease: %+v %v", l, err)
	}
	return "http://" + l.Admin
}

func (r *devRealm) consoleCall(t *testing.T, method, url string, form url.Values, withToken bool) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, url, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if withToken {
		req.Header.Set("Authorization", "Bearer "+r.reg.AdminToken())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(resp.Header.Get("Content-Type"), "event-stream") {
		return resp, ""
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestConsoleAPI: the console's page and API against a dev realm with
// bots: every node healthy, the zone's live view through the console with
// the bots where the zone has them, a broadcast that reaches a bot, a kick
// that lets one go with its reason, and nothing without the token.
func TestConsoleAPI(t *testing.T) {
	r := startDevRealm(t, upBase(985), 3)
	var heard systemEar
	bot := r.bot(t, 0, heard.listen)
	other := r.bot(t, 1)
	base := r.consoleAt(t)
	if resp, page := r.consoleCall(t, http.MethodGet, base+"/console/", nil, false); resp.StatusCode != 200 || !strings.Contains(page, "GridRealm console") {
		t.Fatalf("the page: %d", resp.StatusCode)
	}
	for _, path := range []string{"/console/api/overview", "/console/api/zone/view?id=DEV-ZONE-1"} {
		if resp, _ := r.consoleCall(t, http.MethodGet, base+path, nil, false); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s without the token: %d", path, resp.StatusCode)
		}
	}
	var ov console.Overview
	waitUntil(t, "every node healthy in the console", 10*time.Second, func() bool {
		_, body := r.consoleCall(t, http.MethodGet, base+"/console/api/overview", nil, true)
		if json.Unmarshal([]byte(body), &ov) != nil || len(ov.Nodes) != len(r.reg.Nodes) {
			return false
		}
		for _, n := range ov.Nodes {
			if !n.Healthy {
				return false
			}
		}
		return ov.Realms[launch.DevRealm] != nil && ov.Realms[launch.DevRealm].Players == 2
	})
	// What the bots cost their gateways, live: the gateway holding them
	// reports its CPU a player a tick from two readings a second apart,
	// and every node its process's CPU.
	waitUntil(t, "the console to give the bots' gateway its cost", 10*time.Second, func() bool {
		_, body := r.consoleCall(t, http.MethodGet, base+"/console/api/overview", nil, true)
		if json.Unmarshal([]byte(body), &ov) != nil {
			return false
		}
		players := 0.0
		for _, name := range []string{launch.DevRealm, ""} {
			rv := ov.Realms[name]
			if rv == nil {
				continue
			}
			for _, g := range rv.Gateways {
				if g.Players == 0 {
					continue
				}
				if g.Full || g.CPUCores == nil || *g.CPUCores <= 0 || g.CPUUsPerPlayerTick == nil || *g.CPUUsPerPlayerTick <= 0 {
					return false
				}
				players += g.Players
			}
		}
		if players != 2 {
			return false
		}
		// Every node but the revivers gives its process's CPU (an idle
		// one may read 0: the kernel counts CPU time in 10 ms steps).
		for _, n := range ov.Nodes {
			if n.Role != "reviver" && (n.CPUCores == nil || *n.CPUCores < 0) {
				return false
			}
		}
		return true
	})
	// Each zone is shown with what players are told it is called; an
	// instance node of the pool holding no copy, by its id.
	called := map[string]string{}
	for _, rv := range ov.Realms {
		for _, z := range rv.Zones {
			called[z.ID] = z.Name
		}
	}
	if called["DEV-ZONE-1"] != "Open Fields" || called["DEV-ZONE-3"] != "Open Fields" || called["DEV-INSTANCE-1"] != "DEV-INSTANCE-1" {
		t.Errorf("zones called %v", called)
	}
	// The live view through the console: both bots where they see themselves.
	resp, _ := r.consoleCall(t, http.MethodGet, base+"/console/api/zone/view?id=DEV-ZONE-1", nil, true)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	found := false
	for deadline := time.Now().Add(10 * time.Second); !found && time.Now().Before(deadline) && sc.Scan(); {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var f struct {
			Entities [][4]float64      `json:"entities"`
			Names    map[string]string `json:"names"`
		}
		json.Unmarshal([]byte(data), &f)
		found = true
		for _, c := range []*client.Conn{bot, other} {
			x, y, ok := selfAt(c)
			id := float64(c.Welcomed().EntityID)
			near := false
			for _, e := range f.Entities {
				near = near || e[0] == id && e[1] == 1 && abs(e[2]-x) < 2 && abs(e[3]-y) < 2
			}
			found = found && ok && near
		}
	}
	if !found {
		t.Fatal("the console's view of DEV-ZONE-1 does not show the bots where they are")
	}
	if resp, body := r.consoleCall(t, http.MethodPost, base+"/console/api/broadcast", url.Values{"realm": {launch.DevRealm}, "text": {"maintenance at noon"}}, true); resp.StatusCode != 200 {
		t.Fatalf("broadcast: %d %s", resp.StatusCode, body)
	}
	waitUntil(t, "the broadcast to reach the bot", 5*time.Second, func() bool {
		return heard.last() == "maintenance at noon"
	})
	// A message to another zone does not reach the bot; one to its zone does.
	r.consoleCall(t, http.MethodPost, base+"/console/api/broadcast", url.Values{"zone": {"DEV-ZONE-3"}, "text": {"east only"}}, true)
	if resp, body := r.consoleCall(t, http.MethodPost, base+"/console/api/broadcast", url.Values{"zone": {"DEV-ZONE-1"}, "text": {"west only"}}, true); resp.StatusCode != 200 || strings.TrimSpace(body) != "2" {
		t.Fatalf("a zone's message: %d %q, want it sent to 2 players", resp.StatusCode, body)
	}
	waitUntil(t, "the zone's message to reach the bot", 5*time.Second, func() bool { return heard.last() == "west only" })
	if heard.has("east only") {
		t.Error("a message to DEV-ZONE-3 reached a bot in DEV-ZONE-1")
	}
	// A scheduled restart, and its cancellation, as the page does them.
	if resp, body := r.consoleCall(t, http.MethodPost, base+"/restart", url.Values{"in": {"10m"}, "reason": {"a new build"}}, true); resp.StatusCode != 200 {
		t.Fatalf("scheduling a restart: %d %s", resp.StatusCode, body)
	}
	if _, body := r.consoleCall(t, http.MethodGet, base+"/restart", nil, false); !strings.Contains(body, `"scheduled":true`) || !strings.Contains(body, "a new build") {
		t.Fatalf("the scheduled restart: %s", body)
	}
	if resp, body := r.consoleCall(t, http.MethodPost, base+"/restart/cancel", url.Values{}, true); resp.StatusCode != 200 {
		t.Fatalf("cancelling it: %d %s", resp.StatusCode, body)
	}
	if resp, body := r.consoleCall(t, http.MethodPost, base+"/console/api/kick", url.Values{"account": {"bot1"}, "text": {"botting"}}, true); resp.StatusCode != 200 {
		t.Fatalf("kick: %d %s", resp.StatusCode, body)
	}
	waitUntil(t, "the kicked bot to be let go", 5*time.Second, func() bool { return other.Counters().Disconnect == wire.DisconnectReasonKicked })
}

// systemEar keeps the system messages a bot hears: bot(t, i, ear.listen).
type systemEar struct {
	mu    sync.Mutex
	texts []string
}

func (e *systemEar) listen(o *client.Options) {
	o.OnEvent = func(m *wire.ServerMessage) {
		if m.BodyType() == wire.ServerBodySystemMessage {
			var sm wire.SystemMessage
			codec.Member(m.Body, &sm)
			e.mu.Lock()
			e.texts = append(e.texts, string(sm.Text()))
			e.mu.Unlock()
		}
	}
}

// last is the newest message heard ("" for none).
func (e *systemEar) last() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.texts) == 0 {
		return ""
	}
	return e.texts[len(e.texts)-1]
}

// has reports whether text was heard.
func (e *systemEar) has(text string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Contains(e.texts, text)
}
