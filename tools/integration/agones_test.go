package integration

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/agones"
	"github.com/gridrealm/gridrealm/net/agones/agonestest"
	"github.com/gridrealm/gridrealm/tools/launch"
)

// TestZoneUnderAgones runs a zone node's process as Agones would, with the
// SDK sidecar's port in its environment (a local fake of the sidecar): the
// zone says Ready once its map is loaded, labels itself, pings Health
// while it ticks, and says Shutdown when SIGTERM drains it.
func TestZoneUnderAgones(t *testing.T) {
	sc := agonestest.Start()
	defer sc.Close()
	reg, _, err := launch.LoadOrCreate(t.TempDir(), realmBin, upBase(970))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := reg.Node("DEV-ZONE-1")
	cmd := exec.Command(e.Restart[0], e.Restart[1:]...)
	cmd.Env = append(os.Environ(), agones.PortEnv+"="+sc.Port())
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	waitUntil(t, "Ready, a label and two Health pings", 20*time.Second, func() bool {
		return strings.HasPrefix(strings.Join(sc.Calls(), ","), "ready,label zone=DEV-ZONE-1,health,health")
	})
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("zone exited with %v:\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the zone did not drain within 20 s of SIGTERM")
	}
	calls := sc.Calls()
	if calls[len(calls)-1] != "shutdown" {
		t.Fatalf("calls %v: the last is not shutdown", calls)
	}
	for _, c := range calls[2 : len(calls)-1] {
		if c != "health" {
			t.Fatalf("calls %v: between the label and shutdown, only health", calls)
		}
	}
}
