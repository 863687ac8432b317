package swarm

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// Latency is a latency distribution, in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// RampReport is what the bots saw while the others were still logging in
// (login's password hashing competes for the CPU then).
type RampReport struct {
	SnapshotAge Latency `json:"snapshot_age"`
	Echo        Latency `json:"input_echo"`
}

// Report is what a run measured. Its JSON form is stable: CI jobs read it.
type Report struct {
	Login     string  `json:"login"`
	Realm     string  `json:"realm"`
	Behavior  string  `json:"behavior"`
	Bots      int     `json:"bots"`
	Seed      uint64  `json:"seed"`
	DurationS float64 `json:"duration_s"`
	RampPerS  float64 `json:"ramp_per_s"`
	DropRate  float64 `json:"drop_rate"`
	Started   string  `json:"started"`
	ElapsedS  float64 `json:"elapsed_s"`
	// RampS is how long the bots took to log in and connect; the steady
	// phase (DurationS) followed. Latencies are the steady phase's; Ramp
	// has the ramp's.
	RampS float64    `json:"ramp_s"`
	Ramp  RampReport `json:"ramp"`
	// SettleS is the end of RampS the swarm waited, after bots that the
	// ramp left out gave up together, before the steady phase (Config.Settle).
	SettleS float64 `json:"settle_s"`

	// Connected counts bots that got into the world; Failed those that
	// did not (FailureReasons says why).
	Connected      int            `json:"connected"`
	Failed         int            `json:"failed"`
	FailureReasons map[string]int `json:"failure_reasons"`
	// LoginRetryReasons says why logins were tried again (LoginRetries
	// counts them): what the login node answered, or how reaching it
	// failed.
	LoginRetryReasons map[string]int `json:"login_retry_reasons"`
	// Refused counts, of Failed, the bots the realm turned away with its
	// reason and a retry hint (busy, or told their place in line) until
	// the ramp ended: what a full realm should answer.
	Refused int `json:"refused"`
	// Disconnects counts connections that ended before the run did.
	Disconnects       int            `json:"disconnects"`
	DisconnectReasons map[string]int `json:"disconnect_reasons"`

	Snapshots        int64 `json:"snapshots"`
	SnapshotsSkipped int64 `json:"snapshots_skipped"` // deltas whose baseline the bot had lost
	Inputs           int64 `json:"inputs"`
	// SnapshotAge: tick wall-clock time → datagram arrival.
	SnapshotAge Latency `json:"snapshot_age"`
	// Echo: an input that turns the bot → the first snapshot showing it.
	Echo         Latency `json:"input_echo"`
	EchoTimeouts int64   `json:"input_echo_timeouts"`
	// DownBytesPerBot: snapshot bytes per second of each bot connected in
	// the steady phase.
	DownBytesPerBot struct {
		Mean float64 `json:"mean"`
		Max  float64 `json:"max"`
	} `json:"down_bytes_per_s_per_bot"`
	// SnapshotsPerBotS: snapshots a second a connected bot took in, over the
	// steady phase (20 from a 20 Hz zone; 10 from a gateway shedding load).
	SnapshotsPerBotS float64 `json:"snapshots_per_s_per_bot"`
	BudgetViolations int64   `json:"budget_violations"`
	// MaxDatagram is the largest snapshot datagram any bot received, and
	// Budget the (smallest) budget the gateways announced.
	MaxDatagram int `json:"max_datagram"`
	Budget      int `json:"budget"`
	// SelfMissing counts snapshots in which a bot did not see itself
	// (after it first did): a gap in the gateway's view of its cells.
	SelfMissing int64 `json:"self_missing"`
	// ViewMean and ViewMax are how many entities a bot's view held after
	// each snapshot it applied: on average, and the most (a zone's
	// max_visible bounds it).
	ViewMean float64 `json:"view_mean"`
	ViewMax  int     `json:"view_max"`
	// Loots counts the loot events the bots heard (items granted to them
	// in the db), LootUnits their counts.
	Loots     int64 `json:"loots"`
	LootUnits int64 `json:"loot_units"`
	// Trades is the trade behavior's offers and results.
	Trades *TradeReport `json:"trades,omitempty"`
	// Names is what the bots asking names saw (Config.Names).
	Names        *NamesReport `json:"names,omitempty"`
	LoginRetries int64        `json:"login_retries"`
	// LoginsQueued counts logins the login node told their place in line
	// (it had more than it could check at once); LoginPlaceMax is the
	// furthest back one was told it stood.
	LoginsQueued  int64  `json:"logins_queued"`
	LoginPlaceMax uint32 `json:"login_place_max"`
	// RealmLineWaits counts logins told their place in the line of a
	// realm whose every gateway was full; RealmLinePlaceMax is the furthest
	// back one was.
	RealmLineWaits    int64  `json:"realm_line_waits"`
	RealmLinePlaceMax uint32 `json:"realm_line_place_max"`
	// Reconnects counts lost connections that came back through a
	// gateway with the bot's resume token; NeverBack those that did not;
	// ZoneRestarts the restarts of its zone a bot lived through connected.
	// Recovery is how long a bot went without seeing itself across either:
	// its last snapshot before → the first after.
	Reconnects int64 `json:"reconnects"`
	// ReconnectReasons counts what ended the connections bots came back
	// from (the gateway's reason, or the transport's error).
	ReconnectReasons map[string]int `json:"reconnect_reasons"`
	ZoneRestarts     int64          `json:"zone_restarts"`
	// Handoffs counts the bots' moves into another zone (a border, a
	// portal); their time, last snapshot in the old zone → first in the
	// new one, is RecoveryBy["handoff"].
	Handoffs int64 `json:"handoffs"`
	// Relogins counts bots that logged in again after the realm let every
	// player go (a db failure, a restart).
	Relogins  int64   `json:"relogins"`
	NeverBack int     `json:"never_back"`
	Recovery  Latency `json:"recovery"`
	// RecoveryBy splits Recovery by what the bots went through: reconnect
	// (a gateway lost), new_welcome (a zone restart or a handoff) and
	// login_again (the realm let every player go).
	RecoveryBy map[string]Latency `json:"recovery_by,omitempty"`
	// Errors is what --max-errors judges: Failed + Disconnects +
	// BudgetViolations.
	Errors int64 `json:"errors"`
	// Self is the swarm's own health over the steady phase: a swarm short
	// of CPU (Self.Starved) adds its own delays to the ages it reports.
	Self     *SelfReport `json:"self,omitempty"`
	Timeline []Second    `json:"timeline"`
	// Verdict lists the thresholds the run broke; empty means it passed.
	Verdict []string `json:"verdict"`
}

// NamesReport is what bots asking who they see (Config.Names) were told.
type NamesReport struct {
	// Asked counts the entities asked about, Told those of them their zone
	// named (it does not name an entity the bot no longer sees when the
	// question comes: one that walked out of view meanwhile).
	Asked int64 `json:"asked"`
	Told  int64 `json:"told"`
	// Mismatched counts names whose kind or template contradicted what the
	// bot's view showed under the same id: a bug, always 0.
	Mismatched int64 `json:"mismatched"`
	// Renamed counts names the bots kept that a content reload renamed
	// (their template's: the zone tells every player).
	Renamed int64 `json:"renamed"`
	// Latency is question → answer.
	Latency Latency `json:"latency"`
}

// Judge checks the report against thresholds (a negative threshold is not
// checked), records the verdict and reports whether the run passed. With
// refusedOK (an overload run) the bots the realm turned away with a reason
// and a retry hint are not errors; every other failure, every disconnect
// and every budget violation still is.
func (r *Report) Judge(maxP99Ms float64, maxErrors int64, refusedOK bool) bool {
	r.Verdict = []string{}
	if maxP99Ms >= 0 && r.SnapshotAge.P99 > maxP99Ms {
		r.Verdict = append(r.Verdict, fmt.Sprintf("snapshot age p99 %.1f ms > %.1f ms", r.SnapshotAge.P99, maxP99Ms))
	}
	errs, not := r.Errors, ""
	if refusedOK {
		errs, not = errs-int64(r.Refused), fmt.Sprintf(" (%d bots refused with a reason not counted)", r.Refused)
	}
	if maxErrors >= 0 && errs > maxErrors {
		r.Verdict = append(r.Verdict, fmt.Sprintf("errors %d > %d%s", errs, maxErrors, not))
	}
	if r.Connected == 0 {
		r.Verdict = append(r.Verdict, "no bot connected")
	}
	if r.Names != nil && r.Names.Mismatched > 0 {
		r.Verdict = append(r.Verdict, fmt.Sprintf("%d names contradicted what the bots saw", r.Names.Mismatched))
	}
	return len(r.Verdict) == 0
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// WriteTable writes the report as a table for people.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	settle := ""
	if r.SettleS > 0 {
		settle = fmt.Sprintf(", %.0f s of it settling after %d bots gave up", r.SettleS, r.Failed)
	}
	fmt.Fprintf(&b, "swarm: %d bots, %s, %.0f s steady after a %.1f s ramp (%.0f/s%s), login %s, seed %d\n", r.Bots, r.Behavior, r.DurationS, r.RampS, r.RampPerS, settle, r.Login, r.Seed)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "  %-28s "+format+"\n", append([]any{name}, args...)...)
	}
	row("bots connected / failed", "%d / %d", r.Connected, r.Failed)
	for _, k := range sortedKeys(r.FailureReasons) {
		row("  failed: "+k, "%d", r.FailureReasons[k])
	}
	row("disconnects", "%d", r.Disconnects)
	for _, k := range sortedKeys(r.DisconnectReasons) {
		row("  "+k, "%d", r.DisconnectReasons[k])
	}
	row("snapshot age ms", "p50 %.1f  p95 %.1f  p99 %.1f  max %.1f  (%d snapshots)", r.SnapshotAge.P50, r.SnapshotAge.P95, r.SnapshotAge.P99, r.SnapshotAge.Max, r.SnapshotAge.Count)
	row("input→echo ms", "p50 %.1f  p99 %.1f  max %.1f  (%d turns, %d not seen in 2 s)", r.Echo.P50, r.Echo.P99, r.Echo.Max, r.Echo.Count, r.EchoTimeouts)
	row("down bytes/s per bot", "mean %.0f  max %.0f", r.DownBytesPerBot.Mean, r.DownBytesPerBot.Max)
	row("snapshots/s per bot", "%.1f", r.SnapshotsPerBotS)
	row("ramp: snapshot age ms", "p50 %.1f  p99 %.1f  max %.1f", r.Ramp.SnapshotAge.P50, r.Ramp.SnapshotAge.P99, r.Ramp.SnapshotAge.Max)
	row("ramp: input→echo ms", "p50 %.1f  p99 %.1f", r.Ramp.Echo.P50, r.Ramp.Echo.P99)
	row("snapshots skipped (no base)", "%d", r.SnapshotsSkipped)
	row("budget violations", "%d (largest datagram %d B, budget %d B)", r.BudgetViolations, r.MaxDatagram, r.Budget)
	row("snapshots without self", "%d", r.SelfMissing)
	row("entities in a bot's view", "mean %.1f  max %d", r.ViewMean, r.ViewMax)
	if n := r.Names; n != nil {
		row("names asked / told", "%d / %d  (answer ms p50 %.1f  p99 %.1f  max %.1f; %d contradicting the view, %d renamed)", n.Asked, n.Told, n.Latency.P50, n.Latency.P99, n.Latency.Max, n.Mismatched, n.Renamed)
	}
	row("login retries", "%d", r.LoginRetries)
	for _, k := range sortedKeys(r.LoginRetryReasons) {
		row("  login retried: "+k, "%d", r.LoginRetryReasons[k])
	}
	row("logins told their place", "%d (the furthest back: %d)", r.LoginsQueued, r.LoginPlaceMax)
	row("logins in the full realm's line", "%d (the furthest back: %d)", r.RealmLineWaits, r.RealmLinePlaceMax)
	row("reconnects / never back", "%d / %d  (zone restarts %d, logins again %d; recovery ms p50 %.0f  max %.0f)", r.Reconnects, r.NeverBack, r.ZoneRestarts, r.Relogins, r.Recovery.P50, r.Recovery.Max)
	for _, k := range sortedKeys(r.ReconnectReasons) {
		row("  "+k, "%d", r.ReconnectReasons[k])
	}
	row("errors", "%d", r.Errors)
	if o := r.Self; o != nil {
		wait := "not measured"
		if o.CPUWaitMsPerS >= 0 {
			wait = fmt.Sprintf("%.0f ms/s", o.CPUWaitMsPerS)
		}
		row("the swarm itself", "%.2f cores (GOMAXPROCS %d), scheduling delay p50 %.2f  p99 %.1f ms, waiting for a CPU %s, GC pauses max %.1f ms, heap live %.0f MB",
			o.CPUCores, o.Procs, o.SchedP50Ms, o.SchedP99Ms, wait, o.GCPauseMaxMs, o.HeapLiveMB)
		if o.Starved {
			fmt.Fprintf(&b, "  WARNING: the swarm was short of CPU (scheduling delay p99 %.1f ms > %d ms): part of the ages above is its own; run it on another machine, or fewer bots\n",
				o.SchedP99Ms, starvedSchedP99Ms)
		}
	}
	if len(r.Timeline) > 0 {
		b.WriteString("  timeline:    s  bots  snaps/s  B/s/bot  age p50  age p99  echo p99  errors  swarm cpu  sched p99\n")
		for _, s := range r.Timeline {
			phase := "ramp"
			if s.Steady {
				phase = ""
			}
			fmt.Fprintf(&b, "  %8s %3d  %4d  %7d  %7.0f  %7.1f  %7.1f  %8.1f  %6d  %9.2f  %9.1f\n", phase, s.T, s.Connected, s.Snapshots, s.DownBytesPerBot, s.AgeP50Ms, s.AgeP99Ms, s.EchoP99Ms, s.Errors, s.SwarmCPU, s.SwarmSchedP99Ms)
		}
	}
	if r.Verdict != nil {
		if len(r.Verdict) == 0 {
			b.WriteString("PASS\n")
		} else {
			b.WriteString("FAIL: " + strings.Join(r.Verdict, "; ") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTML writes a self-contained page (no scripts, no external files)
// with the summary and plots of latency and bandwidth over time.
func (r *Report) WriteHTML(w io.Writer) error {
	var table strings.Builder
	r.WriteTable(&table)
	t := make([]float64, len(r.Timeline))
	series := func(f func(Second) float64) []float64 {
		out := make([]float64, len(r.Timeline))
		for i, s := range r.Timeline {
			out[i] = f(s)
		}
		return out
	}
	for i, s := range r.Timeline {
		t[i] = float64(s.T)
	}
	data := struct {
		R                        *Report
		Table                    string
		Latency, Bandwidth, Bots template.HTML
	}{R: r, Table: table.String(),
		Latency: plot("latency (ms) per second", "ms", t, r.RampS, []line{
			{"snapshot age p50", "#1f77b4", series(func(s Second) float64 { return s.AgeP50Ms })},
			{"snapshot age p99", "#d62728", series(func(s Second) float64 { return s.AgeP99Ms })},
			{"input→echo p99", "#2ca02c", series(func(s Second) float64 { return s.EchoP99Ms })},
			{"the swarm's own scheduling delay p99", "#7f7f7f", series(func(s Second) float64 { return s.SwarmSchedP99Ms })},
		}),
		Bandwidth: plot("downstream bytes/s per bot", "B/s", t, r.RampS, []line{
			{"bytes/s per bot", "#9467bd", series(func(s Second) float64 { return s.DownBytesPerBot })},
		}),
		Bots: plot("bots connected, errors", "bots", t, r.RampS, []line{
			{"connected", "#1f77b4", series(func(s Second) float64 { return float64(s.Connected) })},
			{"errors", "#d62728", series(func(s Second) float64 { return float64(s.Errors) })},
		}),
	}
	return page.Execute(w, data)
}

var page = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>GridRealm swarm: {{.R.Bots}} bots, {{.R.Behavior}}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1000px}pre{background:#f6f6f6;padding:1em;overflow:auto}svg{display:block;margin:1em 0}</style>
</head><body>
<h1>Swarm: {{.R.Bots}} bots, {{.R.Behavior}}, {{printf "%.0f" .R.DurationS}} s</h1>
<p>Started {{.R.Started}} against {{.R.Login}}.{{if .R.Verdict}} Verdict: <strong>FAIL</strong>: {{range .R.Verdict}}{{.}}; {{end}}{{else if ne .R.Verdict nil}} Verdict: <strong>PASS</strong>.{{end}}</p>
{{.Latency}}
{{.Bandwidth}}
{{.Bots}}
<h2>Summary</h2>
<pre>{{.Table}}</pre>
</body></html>
`))

type line struct {
	name, color string
	y           []float64
}

// plot draws lines over t as an inline SVG chart; the seconds before
// steadyAt (the ramp) are shaded.
func plot(title, unit string, t []float64, steadyAt float64, lines []line) template.HTML {
	const W, H, left, right, top, bottom = 960.0, 260.0, 60.0, 20.0, 30.0, 40.0
	maxT, maxY := 1.0, 0.0
	for _, v := range t {
		maxT = max(maxT, v)
	}
	for _, l := range lines {
		for _, v := range l.y {
			maxY = max(maxY, v)
		}
	}
	maxY = niceCeil(maxY)
	x := func(v float64) float64 { return left + v/maxT*(W-left-right) }
	y := func(v float64) float64 { return H - bottom - v/maxY*(H-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, W, H, W, H, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="14" font-weight="bold">%s</text>`, left, template.HTMLEscapeString(title))
	for i := 0; i <= 4; i++ {
		v := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" font-size="11" text-anchor="end">%s</text>`,
			left, W-right, y(v), y(v), left-6, y(v)+4, short(v))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" text-anchor="middle">seconds</text>`, (W+left)/2, H-6)
	step := niceCeil(maxT / 6)
	for v := 0.0; v <= maxT; v += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" text-anchor="middle">%.0f</text>`, x(v), H-bottom+16, v)
	}
	if steadyAt > 0 { // the ramp, shaded
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.1f" height="%.0f" fill="#000" fill-opacity="0.05"/><text x="%.1f" y="%.0f" font-size="11" fill="#666">ramp</text>`,
			left, top, x(steadyAt)-left, H-top-bottom, left+4, top+12)
	}
	fmt.Fprintf(&b, `<text x="12" y="%.0f" font-size="11" transform="rotate(-90 12 %.0f)" text-anchor="middle">%s</text>`, (H)/2, H/2, template.HTMLEscapeString(unit))
	for k, l := range lines {
		var pts strings.Builder
		for i, v := range l.y {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(t[i]), y(v))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, l.color, strings.TrimSpace(pts.String()))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f" font-size="11">%s</text>`,
			W-right-180, top+float64(k)*16, l.color, W-right-165, top+float64(k)*16+9, template.HTMLEscapeString(l.name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds up to a round number: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
// times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func short(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// TradeReport counts the trade behavior's offers, and the TradeResults the
// bots heard by status (offered, done, declined, expired, failed): both
// sides of a trade hear Done.
type TradeReport struct {
	Offers  int64            `json:"offers"`
	Results map[string]int64 `json:"results"`
}
