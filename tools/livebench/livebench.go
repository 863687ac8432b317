// Package livebench measures what a player costs on the live path, as a
// user runs it: a whole realm (realm up's nodes, each its own process,
// under its revivers) and a swarm of real QUIC clients in this process.
// It reports the gateways' CPU per player per tick from their processes'
// own accounting (/proc), the swarm's CPU per bot per tick, the CPU of one
// bare UDP send of a full datagram measured in the same run (the floor),
// datagrams and bytes per player per second, and snapshot age at the
// client. `realm bench gateway` runs it; `make bench-live` runs it for
// 1,000 players in a crowd and spread out.
package livebench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/launch"
	"github.com/gridrealm/gridrealm/tools/swarm"
)

// Scenarios: players milling about within 12 m of one point (every one
// sees every other), or wandering over the zone.
const (
	Crowd  = "crowd"
	Spread = "spread"
)

// Config configures a run.
type Config struct {
	// Bin is the realm binary the nodes run (required).
	Bin string
	// Dir holds the realm's data (default: a temporary directory, removed
	// after).
	Dir      string
	PortBase int // default 24100
	Players  int
	Scenario string
	// Duration of the measured steady phase (default 30 s); Ramp bots
	// start per second (default 100).
	Duration time.Duration
	Ramp     float64
	// Log receives the nodes' output (nil: discarded).
	Log io.Writer
	// GatewayProfile and SwarmProfile, when set, are where CPU profiles
	// of the measured window go: the first gateway's (from its admin
	// port's /debug/pprof/profile) and this process's swarm.
	GatewayProfile, SwarmProfile string
	// InputEvery is the bots' swarm.Config.InputEvery (0: steer as a
	// client should; negative: an input every tick).
	InputEvery time.Duration
	// MaxVisible is the zones' --max-visible: the most entities a player
	// is shown, the nearest (0: every one in view).
	MaxVisible int
	// SnapshotEvery is the gateways' --snapshot-every: zone ticks between
	// one player's snapshots (0 or 1: every tick). They never shed.
	SnapshotEvery int
}

// Latency is snapshot age, milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Result is what a run measured.
type Result struct {
	Scenario string `json:"scenario"`
	// MaxVisible is the zones' bound on what a player is shown (0: none);
	// ViewMean and ViewMax how many entities the bots' views held after
	// each snapshot, on average and at most (over the whole run).
	MaxVisible int `json:"max_visible"`
	// SnapshotEvery is the gateways' zone ticks between one player's
	// snapshots (1: every tick).
	SnapshotEvery int     `json:"snapshot_every"`
	ViewMean      float64 `json:"view_mean"`
	ViewMax       int     `json:"view_max"`
	Players       int     `json:"players"`
	Connected     int     `json:"connected"`
	Failed        int     `json:"failed"`
	Seconds       float64 `json:"measured_s"`
	TickHz        float64 `json:"tick_hz"`
	// GatewayCPUUsPerPlayerTick is the gateways' CPU (user + system, from
	// /proc) over the measured window, per connected player per tick.
	GatewayCPUUsPerPlayerTick float64 `json:"gateway_cpu_us_per_player_tick"`
	// GatewayCPUUsPerDatagram is the same CPU per snapshot datagram the
	// gateways built: under overload a gateway skips passes (fewer
	// snapshots, not stale ones), and the cost per player per tick falls
	// with them while the cost per datagram does not.
	GatewayCPUUsPerDatagram float64 `json:"gateway_cpu_us_per_datagram"`
	// GatewayCores is the gateways' CPU as a share of one core.
	GatewayCores float64 `json:"gateway_cores"`
	// UDPSendCPUUs is the CPU of one bare UDP send of a full datagram
	// (SnapshotBudget bytes) on loopback, measured in this run: the floor.
	UDPSendCPUUs float64 `json:"udp_send_cpu_us"`
	// GatewayOverFloor is GatewayCPUUsPerPlayerTick / UDPSendCPUUs.
	GatewayOverFloor float64 `json:"gateway_over_floor"`
	// SwarmCPUUsPerBotTick is this process's CPU (the swarm) per bot per
	// tick, and SwarmOverFloor its ratio to the floor.
	SwarmCPUUsPerBotTick float64 `json:"swarm_cpu_us_per_bot_tick"`
	SwarmOverFloor       float64 `json:"swarm_over_floor"`
	// SwarmSchedP99Ms and SwarmCPUWaitMsPerS are the swarm's own health
	// over its steady phase (swarm.SelfReport): a swarm short of CPU puts
	// its own delays into the snapshot ages.
	SwarmSchedP99Ms    float64 `json:"swarm_sched_p99_ms"`
	SwarmCPUWaitMsPerS float64 `json:"swarm_cpu_wait_ms_per_s"`
	// SwarmHeapKBPerBot is the live heap of the bench's process (the swarm,
	// mostly) at the end of the steady phase, per connected bot.
	SwarmHeapKBPerBot float64 `json:"swarm_heap_kb_per_bot"`
	// DatagramsPerPlayerS and BytesPerPlayerS are the snapshot datagrams
	// the gateways built over the measured window (their /metrics), per
	// connected player.
	DatagramsPerPlayerS float64 `json:"datagrams_per_player_s"`
	// PlayerTicksPerPlayerS is the gateways' own count of the player ticks
	// they served (gridrealm_gateway_player_ticks_total, what the console
	// divides their CPU by), per player a second: the tick rate when every
	// bot played every tick of the window.
	PlayerTicksPerPlayerS float64 `json:"player_ticks_per_player_s"`
	// InputsPerPlayerS is the input datagrams the gateways received.
	InputsPerPlayerS float64 `json:"inputs_per_player_s"`
	BytesPerPlayerS  float64 `json:"bytes_per_player_s"`
	// PacketsOutPerPlayerS and PacketsInPerPlayerS are the UDP packets the
	// gateways sent to and received from players, per connected player:
	// the datagrams and inputs, and QUIC's packets that only acknowledge.
	PacketsOutPerPlayerS float64        `json:"packets_out_per_player_s"`
	PacketsInPerPlayerS  float64        `json:"packets_in_per_player_s"`
	SnapshotAgeMs        Latency        `json:"snapshot_age_ms"`
	Disconnects          int            `json:"disconnects"`
	DisconnectReasons    map[string]int `json:"disconnect_reasons,omitempty"`
	FailureReasons       map[string]int `json:"failure_reasons,omitempty"`
	Gateways             int            `json:"gateways"`
	CPUs                 int            `json:"cpus"`
	GoVersion            string         `json:"go"`
}

// SnapshotBudget is the size of the floor's datagram: the gateways'
// default snapshot budget.
const SnapshotBudget = 1200

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times.
const clockTicks = 100

// Run starts the realm, measures the floor, runs the swarm and measures
// the steady phase.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Bin == "" || cfg.Players < 1 || (cfg.Scenario != Crowd && cfg.Scenario != Spread) || cfg.MaxVisible < 0 || cfg.SnapshotEvery < 0 {
		return Result{}, fmt.Errorf("bench gateway: want the realm binary, players ≥ 1, a scenario (crowd or spread), --max-visible ≥ 0 and --snapshot-every ≥ 0")
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.Ramp <= 0 {
		cfg.Ramp = 100
	}
	if cfg.PortBase == 0 {
		cfg.PortBase = 24100
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "gridrealm-bench-gateway-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(dir)
		cfg.Dir = dir
	}
	floor, err := udpSendFloor(20000)
	if err != nil {
		return Result{}, err
	}
	r, err := startRealm(cfg)
	if err != nil {
		return Result{}, err
	}
	defer r.rs.Stop()
	res, err := r.measure(ctx, cfg)
	if err != nil {
		return res, err
	}
	res.UDPSendCPUUs = floor
	if floor > 0 {
		res.GatewayOverFloor = res.GatewayCPUUsPerPlayerTick / floor
		res.SwarmOverFloor = res.SwarmCPUUsPerBotTick / floor
	}
	return res, nil
}

// realm is the running realm under test.
type realm struct {
	reg      *registry.Registry
	rs       *launch.Revivers
	gateways []int    // pids
	admins   []string // their admin addresses (/metrics)
	tls      *tls.Config

	swarmProfile   *os.File
	gatewayProfile chan error
	profileErr     error
}

func startRealm(cfg Config) (*realm, error) {
	reg, path, err := launch.LoadOrCreate(cfg.Dir, cfg.Bin, cfg.PortBase)
	if err != nil {
		return nil, err
	}
	if _, _, err := pquic.LoadOrCreateDevCert(cfg.Dir); err != nil {
		return nil, err
	}
	if err := launch.DevAccounts(reg, cfg.Players); err != nil {
		return nil, err
	}
	// The bench measures what N players cost: its gateways take every one
	// (admission by lateness and by the machine's CPU off; the last flag
	// given wins) and send at the rate asked, never shedding.
	for i, e := range reg.Nodes {
		if e.Role == registry.RoleGateway && len(e.Restart) > 0 {
			reg.Nodes[i].Restart = append(slices.Clone(e.Restart), "--full-idle", "0", "--full-lateness", "-1ns", "--full-behind", "-1ns",
				"--shed-every", "0", "--snapshot-every", strconv.Itoa(max(cfg.SnapshotEvery, 1)))
		}
		if e.Role == registry.RoleLogin && len(e.Restart) > 0 {
			// Nor does it measure logins under load: at realm up's nice 10
			// they yield to the play already measured, and a third of the
			// bots were still in line for a password check when the ramp
			// ended.
			reg.Nodes[i].Restart = append(slices.Clone(e.Restart), "--nice", "0")
		}
		if e.Role == registry.RoleZone && len(e.Restart) > 0 && cfg.MaxVisible > 0 {
			reg.Nodes[i].Restart = append(slices.Clone(e.Restart), "--max-visible", strconv.Itoa(cfg.MaxVisible))
		}
	}
	if err := reg.Save(path); err != nil {
		return nil, err
	}
	rs, err := launch.StartRevivers(cfg.Bin, path, reg, cfg.Log)
	if err != nil {
		return nil, err
	}
	pids, err := rs.NodePIDs(60 * time.Second)
	if err != nil {
		return nil, errors.Join(err, rs.Stop())
	}
	r := &realm{reg: reg, rs: rs}
	for _, e := range reg.ByRole("", registry.RoleGateway) {
		r.gateways = append(r.gateways, pids[e.ID])
		r.admins = append(r.admins, e.Admin)
	}
	for _, e := range reg.Nodes {
		if e.Admin != "" && len(e.Restart) > 0 {
			if err := launch.WaitHealthy("http://"+e.Admin+"/healthz", 30*time.Second); err != nil {
				return nil, errors.Join(err, rs.Stop())
			}
		}
	}
	certPEM, err := os.ReadFile(filepath.Join(cfg.Dir, "cert.pem"))
	if err != nil {
		return nil, errors.Join(err, rs.Stop())
	}
	if r.tls, err = pquic.ClientTLS(certPEM); err != nil {
		return nil, errors.Join(err, rs.Stop())
	}
	return r, nil
}

// mark is the CPU counters at one moment.
type mark struct {
	at      time.Time
	gateway time.Duration // the gateways' processes, together
	self    time.Duration // this process
	// The gateways' counters, together: datagrams and bytes built for
	// players, input datagrams and UDP packets received, packets sent,
	// player ticks served.
	datagrams, bytes, inputs, packetsIn, packetsOut, playerTicks float64
}

func (r *realm) mark() (mark, error) {
	m := mark{at: time.Now()}
	for _, pid := range r.gateways {
		d, err := procCPU(pid)
		if err != nil {
			return m, err
		}
		m.gateway += d
	}
	for _, admin := range r.admins {
		c, err := readCounters("http://"+admin+"/metrics", gatewayCounters)
		if err != nil {
			return m, err
		}
		m.datagrams += c["gridrealm_gateway_snapshots_total"]
		m.bytes += c["gridrealm_gateway_snapshot_bytes_total"]
		m.inputs += c["gridrealm_gateway_inputs_total"]
		m.packetsIn += c["gridrealm_gateway_udp_packets_received_total"]
		m.packetsOut += c["gridrealm_gateway_udp_packets_sent_total"]
		m.playerTicks += c["gridrealm_gateway_player_ticks_total"]
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return m, err
	}
	m.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return m, nil
}

// measure runs the swarm and takes the CPU marks at the steady phase's
// first and last progress reports.
func (r *realm) measure(ctx context.Context, cfg Config) (Result, error) {
	var mu sync.Mutex
	var first, last mark
	var markErr error
	behavior := swarm.Wander
	if cfg.Scenario == Crowd {
		behavior = swarm.Clump
	}
	login := r.reg.ByRole("", registry.RoleLogin)[0].Public
	rep, err := swarm.Run(ctx, swarm.Config{Login: login, TLS: r.tls, Realm: launch.DevRealm, Bots: cfg.Players, Duration: cfg.Duration,
		Ramp: cfg.Ramp, Behavior: behavior, Seed: 1, InputEvery: cfg.InputEvery,
		Progress: func(p swarm.Progress) {
			if !p.Steady {
				return
			}
			m, err := r.mark()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				markErr = err
				return
			}
			if first.at.IsZero() {
				first = m
				r.startProfiles(cfg)
			}
			last = m
		}})
	if perr := r.stopProfiles(); err == nil {
		err = perr
	}
	if err != nil {
		return Result{}, err
	}
	mu.Lock()
	defer mu.Unlock()
	if markErr != nil {
		return Result{}, markErr
	}
	res := Result{Scenario: cfg.Scenario, MaxVisible: cfg.MaxVisible, SnapshotEvery: max(cfg.SnapshotEvery, 1), Players: cfg.Players, Connected: rep.Connected, Failed: rep.Failed, TickHz: 20,
		Gateways: len(r.gateways), CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Disconnects: rep.Disconnects,
		DisconnectReasons: rep.DisconnectReasons, FailureReasons: rep.FailureReasons,
		SnapshotAgeMs: Latency{P50: rep.SnapshotAge.P50, P99: rep.SnapshotAge.P99, Max: rep.SnapshotAge.Max},
		ViewMean:      rep.ViewMean, ViewMax: rep.ViewMax}
	if rep.Self != nil {
		res.SwarmSchedP99Ms, res.SwarmCPUWaitMsPerS = rep.Self.SchedP99Ms, rep.Self.CPUWaitMsPerS
		if rep.Connected > 0 {
			res.SwarmHeapKBPerBot = rep.Self.HeapLiveMB * 1000 / float64(rep.Connected)
		}
	}
	window := last.at.Sub(first.at).Seconds()
	if window <= 0 || rep.Connected == 0 {
		return res, fmt.Errorf("bench gateway: no steady phase to measure (%d connected)", rep.Connected)
	}
	res.Seconds = window
	ticks := window * res.TickHz * float64(rep.Connected)
	res.GatewayCPUUsPerPlayerTick = float64((last.gateway - first.gateway).Microseconds()) / ticks
	res.GatewayCores = (last.gateway - first.gateway).Seconds() / window
	res.SwarmCPUUsPerBotTick = float64((last.self - first.self).Microseconds()) / ticks
	res.DatagramsPerPlayerS = (last.datagrams - first.datagrams) / window / float64(rep.Connected)
	res.BytesPerPlayerS = (last.bytes - first.bytes) / window / float64(rep.Connected)
	res.InputsPerPlayerS = (last.inputs - first.inputs) / window / float64(rep.Connected)
	res.PlayerTicksPerPlayerS = (last.playerTicks - first.playerTicks) / window / float64(rep.Connected)
	res.PacketsInPerPlayerS = (last.packetsIn - first.packetsIn) / window / float64(rep.Connected)
	res.PacketsOutPerPlayerS = (last.packetsOut - first.packetsOut) / window / float64(rep.Connected)
	if d := last.datagrams - first.datagrams; d > 0 {
		res.GatewayCPUUsPerDatagram = float64((last.gateway - first.gateway).Microseconds()) / d
	}
	return res, nil
}

// startProfiles starts the profiles of the measured window: the swarm's
// here, the gateway's by asking it for one as long as the window.
func (r *realm) startProfiles(cfg Config) {
	if cfg.SwarmProfile != "" {
		f, err := os.Create(cfg.SwarmProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			r.profileErr = errors.Join(r.profileErr, fmt.Errorf("swarm profile: %w", err))
		} else {
			r.swarmProfile = f
		}
	}
	if cfg.GatewayProfile == "" || len(r.admins) == 0 {
		return
	}
	secs := max(int(cfg.Duration.Seconds())-2, 1)
	r.gatewayProfile = make(chan error, 1)
	go func() {
		r.gatewayProfile <- fetchProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", r.admins[0], secs), r.reg.AdminToken(), cfg.GatewayProfile)
	}()
}

// stopProfiles ends the swarm's profile and waits for the gateway's.
func (r *realm) stopProfiles() error {
	if r.swarmProfile != nil {
		pprof.StopCPUProfile()
		r.profileErr = errors.Join(r.profileErr, r.swarmProfile.Close())
	}
	if r.gatewayProfile != nil {
		r.profileErr = errors.Join(r.profileErr, <-r.gatewayProfile)
	}
	return r.profileErr
}

func fetchProfile(url, token, path string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("gateway profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("gateway profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("gateway profile: %w", err)
	}
	return f.Close()
}

// procCPU reads a process's CPU time (user + system) from /proc.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command may hold spaces and parentheses: the fields start
	// after the last ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14 of the whole line
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// udpSendFloor measures the CPU of one send of a SnapshotBudget-byte
// datagram to a loopback socket, over n sends on one OS thread (the
// thread's own accounting, RUSAGE_THREAD).
func udpSendFloor(n int) (float64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dst, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	src, err := net.DialUDP("udp", nil, dst.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return 0, err
	}
	defer src.Close()
	// The receiver drains on its own goroutine (another thread): only the
	// sends are counted.
	go func() {
		b := make([]byte, 2048)
		for {
			if _, _, err := dst.ReadFromUDP(b); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, SnapshotBudget)
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_THREAD, &before)
	for i := 0; i < n; i++ {
		if _, err := src.Write(buf); err != nil {
			return 0, err
		}
	}
	syscall.Getrusage(syscall.RUSAGE_THREAD, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()) - time.Duration(before.Utime.Nano()+before.Stime.Nano())
	return float64(cpu.Nanoseconds()) / 1000 / float64(n), nil
}

// gatewayCounters are the gateway counters a mark reads.
var gatewayCounters = []string{"gridrealm_gateway_snapshots_total", "gridrealm_gateway_snapshot_bytes_total",
	"gridrealm_gateway_inputs_total", "gridrealm_gateway_udp_packets_received_total", "gridrealm_gateway_udp_packets_sent_total",
	"gridrealm_gateway_player_ticks_total"}

// readCounters reads the named unlabelled counters from a node's /metrics
// (Prometheus' text format, as the console reads it). A counter missing is
// an error: a renamed metric must not read as 0 players' worth of packets.
func readCounters(url string, names []string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	c := make(map[string]float64, len(names))
	for _, name := range names {
		f := fams[name]
		if f == nil || len(f.Metric) != 1 || f.Metric[0].Counter == nil {
			return nil, fmt.Errorf("%s: no counter %s", url, name)
		}
		c[name] = f.Metric[0].Counter.GetValue()
	}
	return c, nil
}
