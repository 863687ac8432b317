package main

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// renice gives every thread of this process the nice value n (Linux keeps
// one per thread; threads made later inherit their maker's, so after this
// every thread has it), and, where the kernel groups the scheduler's
// tasks by session (autogroup, on by default in many kernels), its
// session's group too: there the scheduler shares the CPU between
// sessions first, so a thread's own nice counts only against the threads
// of its session. A node the reviver starts leads a session of its own
// (Setsid); without this, a login node at nice 10 hashing passwords took
// as much CPU from the zones and gateways as one at nice 0 (measured: the
// login nodes took 0.6 of this machine's 2 cores for 2 s when a full
// realm's line moved, and snapshot age p50 went from 30 to 380 ms). A
// process that does not lead its session (run by hand from a shell) does
// not change the group: it would lower its shell's and every other
// process's of the session.
func renice(n int) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil {
			return err
		}
	}
	return reniceGroup(n)
}

// autogroupFile is the session's scheduling group (absent: the kernel has
// no autogroups).
const autogroupFile = "/proc/self/autogroup"

// reniceGroup gives the session's scheduling group the nice value n, when
// the kernel has such groups and this process leads its session.
func reniceGroup(n int) error {
	sid, err := unix.Getsid(0)
	if err != nil || sid != os.Getpid() {
		return nil
	}
	err = os.WriteFile(autogroupFile, []byte(strconv.Itoa(n)), 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
