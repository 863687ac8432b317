package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/tools/launch"
	"github.com/gridrealm/gridrealm/tools/swarm"
)

// upNodes is how many processes realm up starts: db, backup, two open
// zones side by side, two instance nodes, realm, two gateways, and the
// login db, its backup and two login nodes.
const upNodes = 13

// realmUp is a running `realm up`.
type realmUp struct {
	cmd   *exec.Cmd
	lines chan string
	log   strings.Builder
	pids  []int
	base  int
}

// startRealmUp runs realm up on data and waits until it says it is up and
// every node answers its health check.
func startRealmUp(t *testing.T, data string, base, devAccounts int) *realmUp {
	t.Helper()
	u := &realmUp{base: base, lines: make(chan string, 1000)}
	u.cmd = exec.Command(realmBin, "up", "--data", data, "--port-base", strconv.Itoa(base), "--dev-accounts", strconv.Itoa(devAccounts))
	out, _ := u.cmd.StdoutPipe()
	u.cmd.Stderr = u.cmd.Stdout
	if err := u.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			u.lines <- sc.Text()
		}
		close(u.lines)
	}()
	u.readUntil(t, "Ctrl-C stops everything", regexp.MustCompile(`pid (\d+) +link`), "realm up did not come up")
	if len(u.pids) != upNodes {
		u.cmd.Process.Kill()
		t.Fatalf("expected %d node processes:\n%s", upNodes, u.log.String())
	}
	for _, slot := range []int{1, 2, 3, 4, 5, 6, 7, 8, 11, 12} { // the nodes' (9 and 10 are the revivers')
		port := base + 2000 + slot
		if err := waitHealthy(fmt.Sprintf("http://127.0.0.1:%d/healthz", port)); err != nil {
			u.cmd.Process.Signal(syscall.SIGINT)
			for l := range u.lines { // until realm up has stopped
				u.log.WriteString(l + "\n")
			}
			u.cmd.Wait()
			t.Fatalf("%v\n%s", err, u.log.String())
		}
	}
	return u
}

// readUntil reads realm up's output until a line holds want (20 s at
// most, else it kills realm up and fails with why), keeping the pids that
// pidRE finds.
func (u *realmUp) readUntil(t *testing.T, want string, pidRE *regexp.Regexp, why string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !strings.Contains(u.log.String(), want) {
		select {
		case l := <-u.lines:
			u.log.WriteString(l + "\n")
			if m := pidRE.FindStringSubmatch(l); m != nil {
				pid, _ := strconv.Atoi(m[1])
				u.pids = append(u.pids, pid)
			}
		case <-deadline:
			u.cmd.Process.Kill()
			t.Fatalf("%s:\n%s", why, u.log.String())
		}
	}
}

// stop sends SIGINT and checks that realm up stops cleanly with no node
// process left.
func (u *realmUp) stop(t *testing.T) {
	t.Helper()
	u.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() {
		for l := range u.lines {
			u.log.WriteString(l + "\n")
		}
		done <- u.cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("realm up exited with %v:\n%s", err, u.log.String())
		}
	case <-time.After(30 * time.Second):
		u.cmd.Process.Kill()
		t.Fatalf("realm up did not stop:\n%s", u.log.String())
	}
	for _, pid := range u.pids {
		if syscall.Kill(pid, 0) == nil {
			t.Fatalf("process %d is still running after realm up stopped", pid)
		}
	}
	if !strings.Contains(u.log.String(), "stopped: no node left running") {
		t.Fatalf("realm up did not say it stopped everything:\n%s", u.log.String())
	}
}

// upBase is a port base for realm up: its ports run to base+2008, kept
// below 32768, where Linux starts handing out ephemeral ports (an outgoing
// connection of another test could hold one of them).
func upBase(offset int) int { return 20000 + (os.Getpid()+offset)%1000*10 }

// TestRealmUpStartsAndStopsEverything: realm up starts each node as its own
// process, they serve their health checks, a player logs in and sees
// itself, and SIGINT leaves no process. A second realm up reuses the data.
func TestRealmUpStartsAndStopsEverything(t *testing.T) {
	data := t.TempDir()
	base := upBase(0)
	for round := 0; round < 2; round++ {
		u := startRealmUp(t, data, base, 3)
		certPEM, err := os.ReadFile(filepath.Join(data, "cert.pem"))
		if err != nil {
			t.Fatal(err)
		}
		clientTLS, _ := pquic.ClientTLS(certPEM)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var res codec.LoginResult
		for try := 0; ; try++ { // the login node may still be starting
			res, err = client.Login(ctx, fmt.Sprintf("127.0.0.1:%d", base+1005), clientTLS, "bot1", "bot", "dev")
			if err == nil || try > 50 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("login: %v\n%s", err, u.log.String())
		}
		conn, err := client.Connect(ctx, res.Gateways[0], clientTLS, res.SessionHandle)
		cancel()
		if err != nil || conn.Welcome.EntityID == 0 {
			t.Fatalf("connect: %v\n%s", err, u.log.String())
		}
		waitUntil(t, "the player to see itself", 10*time.Second, func() bool {
			seen := false
			conn.View(func(w *client.World) { _, seen = w.Entity(conn.Welcome.EntityID) })
			return seen
		})
		conn.Close()
		u.stop(t)
	}
	if _, err := os.Stat(data + "/registry.json"); err != nil {
		t.Fatal(err)
	}
}

// TestSwarmAgainstRealmUp is the load tester's path: realm up in the
// background, a swarm of 50 bots for 15 s gated on 0 errors, then realm
// up stops with nothing left running.
func TestSwarmAgainstRealmUp(t *testing.T) {
	data := t.TempDir()
	base := upBase(500)
	u := startRealmUp(t, data, base, 50)
	report := filepath.Join(data, "swarm.json")
	cmd := exec.Command(swarmBin, "--login", fmt.Sprintf("127.0.0.1:%d", base+1005), "--ca", filepath.Join(data, "cert.pem"),
		"--bots", "50", "--duration", "15s", "--json", report, "--html", filepath.Join(data, "swarm.html"), "--max-errors", "0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		u.stop(t)
		t.Fatalf("swarm: %v\n%s\nrealm up:\n%s", err, out, u.log.String())
	}
	u.stop(t)
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r swarm.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Connected != 50 || r.Failed != 0 || r.Errors != 0 || r.Disconnects != 0 || r.BudgetViolations != 0 {
		t.Fatalf("swarm report: %d connected, %d failed, %d disconnects, %d over budget, %d errors\n%s", r.Connected, r.Failed, r.Disconnects, r.BudgetViolations, r.Errors, out)
	}
	// 50 bots at 20 Hz for most of 15 s, every one timed; turns echoed.
	if r.SnapshotAge.Count < 50*20*10 || r.Echo.Count < 50 {
		t.Fatalf("%d snapshots timed, %d turns echoed\n%s", r.SnapshotAge.Count, r.Echo.Count, out)
	}
	if len(r.Timeline) < 14 {
		t.Fatalf("timeline of %d seconds", len(r.Timeline))
	}
	page, err := os.ReadFile(filepath.Join(data, "swarm.html"))
	if err != nil || strings.Count(string(page), "<svg") != 3 || !strings.Contains(string(page), "<strong>PASS</strong>") {
		t.Fatalf("the HTML report: %v, %d bytes", err, len(page))
	}
	t.Logf("swarm of 50 for 15 s:\n%s", out)
}

func waitHealthy(url string) error { return launch.WaitHealthy(url, 15*time.Second) }

// TestRealmUpRestartsADeadNode: realm up runs its realm under a reviver:
// a node SIGKILLed is restarted and healthy again, the realm goes on, and
// Ctrl-C still stops everything (the restarted process included) with
// exit 0.
func TestRealmUpRestartsADeadNode(t *testing.T) {
	u := startRealmUp(t, t.TempDir(), upBase(3), 1)
	victim := u.pids[len(u.pids)-1] // the last node of the table: a gateway
	syscall.Kill(victim, syscall.SIGKILL)
	u.readUntil(t, " recovered", regexp.MustCompile(`restarted \(pid (\d+)\)`), "the node was not restarted")
	if !strings.Contains(u.log.String(), "crashed (pid "+strconv.Itoa(victim)) {
		t.Fatalf("the crash was not reported:\n%s", u.log.String())
	}
	u.stop(t) // exit 0, and no process left, the restarted one included
}
