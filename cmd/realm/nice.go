package main

import (
	"flag"
	"fmt"
)

// niceFlag registers --nice: the node runs at that nice value (Linux), so
// that work that can wait (password hashing, checking backups) takes the
// CPU that a shared machine's zones and gateways leave.
func niceFlag(fs *flag.FlagSet, work string) *int {
	return fs.Int("nice", 0, fmt.Sprintf("run at this nice value (Linux; 1..19: lower priority), so that %s takes the CPU a shared machine's zones and gateways leave (realm up uses 10)", work))
}

// applyNice checks and applies a --nice value (0: left as it is).
func applyNice(role string, n int) error {
	if n < 0 || n > 19 {
		return fmt.Errorf("%w: --nice must be 0..19", errUsage)
	}
	if n == 0 {
		return nil
	}
	if err := renice(n); err != nil {
		return fmt.Errorf("%s: --nice %d: %w", role, n, err)
	}
	return nil
}
