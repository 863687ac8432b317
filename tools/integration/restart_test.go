package integration

import (
	"bytes"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// TestScheduledRestart: an operator schedules a restart with `realm admin
// restart --in 12s`; players hear of it at once and at the countdown's 10 s
// mark, are let go with the reason RealmRestart, every node stops (the
// zones saving everyone) and starts again, and players log in again at
// the position they had. A request without the admin token is refused, and
// a cancelled restart does not happen.
func TestScheduledRestart(t *testing.T) {
	const bots = 3
	r := startDevRealm(t, upBase(600), bots)
	regFile := filepath.Join(r.dir, "registry.json")
	admin := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := exec.Command(realmBin, append([]string{"admin", "restart", "--registry", regFile}, args...)...)
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	// Without the token: refused.
	resp, err := httpPost("http://" + r.entry("DEV-REVIVER-1").Admin + "/restart?in=1s")
	if err != nil || resp != 401 {
		t.Fatalf("a restart without the token: %v %v", resp, err)
	}
	// Scheduled and cancelled: nothing happens.
	if out, err := admin("--in", "1h", "--reason", "never"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := admin("--cancel"); err != nil || !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel: %v: %s", err, out)
	}

	var conns []*client.Conn
	before := map[int][2]float64{}
	for i := 0; i < bots; i++ {
		conns = append(conns, r.bot(t, i))
	}
	waitUntil(t, "every bot to see itself", 10*time.Second, func() bool {
		for i, c := range conns {
			x, y, ok := selfAt(c)
			if !ok {
				return false
			}
			before[i] = [2]float64{x, y}
		}
		return true
	})
	if out, err := admin("--in", "12s", "--reason", "a test of the countdown"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i, c := range conns {
		select {
		case <-c.Done():
		case <-time.After(30 * time.Second):
			t.Fatalf("bot %d was not let go", i)
		}
		st := c.Counters()
		if st.Disconnect != wire.DisconnectReasonRealmRestart || st.SystemMessages < 3 { // scheduled, 10 s, now
			t.Errorf("bot %d: let go with %v after %d system messages", i, st.Disconnect, st.SystemMessages)
		}
	}
	waitUntil(t, "the realm to start again", 60*time.Second, func() bool {
		for _, e := range r.rv.Events() {
			if e.Kind == reviver.RealmRestarted {
				return true
			}
		}
		return false
	})
	for _, e := range r.reg.Nodes {
		if len(e.Restart) > 0 {
			if err := waitHealthy("http://" + e.Admin + "/healthz"); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < bots; i++ {
		c := r.bot(t, i)
		waitUntil(t, "a bot back after the restart", 10*time.Second, func() bool { _, _, ok := selfAt(c); return ok })
		if x, y, _ := selfAt(c); abs(x-before[i][0]) > 1 || abs(y-before[i][1]) > 1 {
			t.Errorf("bot %d back at (%.1f, %.1f), was at (%.1f, %.1f)", i, x, y, before[i][0], before[i][1])
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// httpPost posts an empty form and returns the status code.
func httpPost(url string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
