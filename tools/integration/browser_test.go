package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/wire"
)

// chromium finds the browser tools/setup.sh installs.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the console's browser test needs Chromium: run tools/setup.sh (apt-get install chromium)")
	return ""
}

// TestConsoleInABrowser drives the console in headless Chromium against a
// dev realm with bots, as an operator would: without the token the page
// gets nothing; with it, the node table shows every node healthy, the
// zone map draws the bots where the zone has them (read back from the
// page), a system message typed into the page reaches a bot, and a kick
// lets a bot go with the reason typed. Screenshots go to the test's
// artifact directory (go test -artifacts).
func TestConsoleInABrowser(t *testing.T) {
	chrome := chromium(t)
	r := startDevRealm(t, upBase(975), 3)
	var heard systemEar
	watcher := r.bot(t, 0, heard.listen)
	victim := r.bot(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute) // the whole browser lives in it
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1400, 2000))...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	page := r.consoleAt(t) + "/console/"
	shots := t.ArtifactDir()
	shot := func(name string) {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name), png, 0o644)
		}
		if err != nil {
			t.Logf("screenshot %s: %v", name, err)
		}
	}
	until := func(what, js string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return
			}
		}
		shot("failed.png")
		t.Fatalf("the page never showed %s (a screenshot is in %s)", what, shots)
	}
	// fill types into a field of the form, as the page's own code reads it
	// (chromedp's node queries once hung for minutes on a busy CI box;
	// the page's script does the rest).
	fill := func(id, text string) {
		t.Helper()
		until("field "+id, fmt.Sprintf(`(() => { const f = document.getElementById(%q); if (!f) return false;
			f.value = %q; f.dispatchEvent(new Event('input')); return true; })()`, id, text))
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			shot("failed.png")
			t.Fatal(err)
		}
	}

	// Without the token: refused.
	do(chromedp.Navigate(page), chromedp.Click("#connect"))
	until("the refusal of a call without the token", `document.getElementById('status').textContent.includes('401')`)
	// With it.
	do(chromedp.Navigate(page+"#token="+r.reg.AdminToken()), chromedp.Reload())
	until("every node healthy", fmt.Sprintf(`(() => { const rows = [...document.querySelectorAll('#nodes tbody tr')];
		return rows.length === %d && rows.every((tr) => tr.className === 'healthy'); })()`, len(r.reg.Nodes)))
	until("what the bots cost their gateway", `[...document.querySelectorAll('#realm-list table')].some((t) => {
		const head = [...t.rows[0].cells].map((c) => c.textContent), at = head.indexOf('µs a player tick'), pl = head.indexOf('players');
		return at >= 0 && [...t.rows].slice(1).some((tr) => +tr.cells[pl].textContent > 0 && +tr.cells[at].textContent > 0); })`)
	until("DEV-ZONE-1 chosen", `(() => { const s = document.getElementById('zone');
		if (![...s.options].some((o) => o.value === 'DEV-ZONE-1')) return false;
		s.value = 'DEV-ZONE-1'; s.dispatchEvent(new Event('change')); return true; })()`)
	until("DEV-ZONE-1's frames", `!!(window.consoleState.frame && window.consoleState.frame.zone === 'DEV-ZONE-1')`)
	for _, c := range []*client.Conn{watcher, victim} {
		x, y, ok := selfAt(c)
		if !ok {
			t.Fatal("a bot does not see itself")
		}
		until(fmt.Sprintf("bot entity %d near (%.0f, %.0f) on the map", c.Welcomed().EntityID, x, y), fmt.Sprintf(
			`window.consoleState.frame.entities.some((e) => e[0] === %d && e[1] === 1 && Math.abs(e[2] - %f) < 2 && Math.abs(e[3] - %f) < 2)`,
			c.Welcomed().EntityID, x, y))
	}
	do(chromedp.Sleep(2 * time.Second)) // a few plot points
	shot("console.png")
	// A system message typed into the page.
	fill("broadcast-text", "hello from the console")
	until("the message sent", `(() => { document.getElementById('broadcast-send').click(); return true; })()`)
	waitUntil(t, "the page's message to reach the bot", 10*time.Second, func() bool {
		return heard.last() == "hello from the console"
	})
	// A kick with its reason.
	fill("kick-account", "bot1")
	fill("kick-text", "testing the kick")
	until("the kick sent", `(() => { document.getElementById('kick-send').click(); return true; })()`)
	waitUntil(t, "the kicked bot to be let go", 10*time.Second, func() bool { return victim.Counters().Disconnect == wire.DisconnectReasonKicked })
	if err := victim.Err(); err == nil || !strings.Contains(err.Error(), "testing the kick") {
		t.Fatalf("the kicked bot's error %v lacks the reason", err)
	}
	until("the kick's answer", `document.getElementById('action-result').textContent.startsWith('kicked from')`)
	shot("after-actions.png")
	t.Logf("screenshots in %s", shots)
}
