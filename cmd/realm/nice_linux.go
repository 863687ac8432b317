package main

import (
	"os"
	"strconv"
	"syscall"
)

// renice gives every thread of this process the nice value n (Linux keeps
// one per thread; threads made later inherit their maker's, so after this
// every thread has it).
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
	return nil
}
