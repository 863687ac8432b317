package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestReniceLowersTheSessionsGroup: a node that leads its session (as the
// reviver starts every node) and runs at --nice n has its session's
// scheduling group at n too, where the kernel groups tasks by session:
// else its threads' nice counts only against each other. Run in a child
// process, its own session's leader, so that the test's own priority is
// untouched.
func TestReniceLowersTheSessionsGroup(t *testing.T) {
	if os.Getenv("GRIDREALM_TEST_RENICE") == "1" {
		if err := renice(7); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(autogroupFile)
		if err != nil {
			t.Fatal(err)
		}
		prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("autogroup: " + strings.TrimSpace(string(b)) + "\n")
		if 20-prio != 7 { // the raw syscall returns 20 - nice
			t.Fatalf("thread nice %d, want 7", 20-prio)
		}
		return
	}
	if _, err := os.Stat(autogroupFile); err != nil {
		t.Skipf("no session scheduling groups here (%v): renice sets the threads' nice alone", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReniceLowersTheSessionsGroup$", "-test.v")
	cmd.Env = append(os.Environ(), "GRIDREALM_TEST_RENICE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "autogroup: /autogroup-") || !strings.Contains(string(out), " nice 7\n") {
		t.Fatalf("the session's group was not reniced:\n%s", out)
	}
}
