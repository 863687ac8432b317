package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
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
)

// TestRealmUpStartsAndStopsEverything: realm up starts each node as its own
// process, they serve their health checks, and SIGINT leaves no process.
// A second realm up reuses the data.
func TestRealmUpStartsAndStopsEverything(t *testing.T) {
	data := t.TempDir()
	base := 20000 + os.Getpid()%2000*10
	for round := 0; round < 2; round++ {
		cmd := exec.Command(realmBin, "up", "--data", data, "--port-base", strconv.Itoa(base), "--dev-accounts", "3")
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1000)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var pids []int
		var log strings.Builder
		pidRE := regexp.MustCompile(`pid (\d+)`)
		deadline := time.After(20 * time.Second)
		for !strings.Contains(log.String(), "Ctrl-C stops everything") {
			select {
			case l := <-lines:
				log.WriteString(l + "\n")
				if m := pidRE.FindStringSubmatch(l); m != nil {
					pid, _ := strconv.Atoi(m[1])
					pids = append(pids, pid)
				}
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("realm up did not come up:\n%s", log.String())
			}
		}
		if len(pids) != 7 {
			t.Fatalf("expected db, backup, zone, realm, login and 2 gateway processes:\n%s", log.String())
		}
		for port := base + 2001; port <= base+2007; port++ {
			waitHealthy(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
		}
		// A player logs in and enters the world through a gateway.
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
			t.Fatalf("login: %v\n%s", err, log.String())
		}
		conn, err := client.Connect(ctx, res.Gateways[0], clientTLS, res.SessionHandle)
		cancel()
		if err != nil || conn.Welcome.EntityID == 0 {
			t.Fatalf("connect: %v\n%s", err, log.String())
		}
		waitUntil(t, "the player to see itself", 10*time.Second, func() bool {
			seen := false
			conn.View(func(w *client.World) { _, seen = w.Entity(conn.Welcome.EntityID) })
			return seen
		})
		conn.Close()

		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() {
			for l := range lines {
				log.WriteString(l + "\n")
			}
			done <- cmd.Wait()
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("realm up exited with %v:\n%s", err, log.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("realm up did not stop:\n%s", log.String())
		}
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil {
				t.Fatalf("process %d is still running after realm up stopped", pid)
			}
		}
		if !strings.Contains(log.String(), "stopped: no node left running") {
			t.Fatalf("round %d:\n%s", round, log.String())
		}
	}
	if _, err := os.Stat(data + "/registry.json"); err != nil {
		t.Fatal(err)
	}
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
