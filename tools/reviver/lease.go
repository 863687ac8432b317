package reviver

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// Lease is the record two revivers of a realm share so that only one acts:
// the holder renews it every LeaseTTL/3; another takes it when it has seen
// the record unchanged for LeaseTTL by its own clock (so the two clocks
// need not agree), and raises the epoch.
type Lease struct {
	Holder  string    `json:"holder"`            // the reviver that acts, "" when none
	Epoch   uint64    `json:"epoch"`             // raised by every change of holder
	Renewed time.Time `json:"renewed"`           // the holder's last renewal (for people)
	Admin   string    `json:"admin,omitempty"`   // the holder's admin address
	Stopped time.Time `json:"stopped,omitzero"`  // the realm was stopped on purpose then
	GaveUp  []string  `json:"gave_up,omitempty"` // the nodes in a restart cycle, left stopped
	// Restart is the restart scheduled, if any: the next holder carries on
	// its countdown.
	Restart *PlannedRestart `json:"restart,omitempty"`
}

// PlannedRestart is a scheduled restart of the realm.
type PlannedRestart struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// leaseFile keeps the Lease in a file of the state directory. A change is
// a read-modify-write under an exclusive flock on a file of its own, the
// record replaced by a rename: a reader never sees half a record, and a
// reviver killed in the middle leaves the old record whole.
//
// One host's file system: two revivers on two hosts would keep the same
// record in a store both reach with a compare-and-swap (a Kubernetes
// Lease object is exactly that).
type leaseFile struct{ dir string }

// LeaseFile is the lease's path in a state directory.
func LeaseFile(state string) string { return filepath.Join(state, "reviver.lease") }

// ReadLease reads the lease of a state directory (the zero Lease when there
// is none yet).
func ReadLease(state string) (Lease, error) {
	var l Lease
	b, err := os.ReadFile(LeaseFile(state))
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("%s: %w", LeaseFile(state), err)
	}
	return l, nil
}

// update changes the lease with f under the lock; f returns whether to
// write what it changed.
func (lf leaseFile) update(f func(l *Lease) bool) (Lease, error) {
	if err := os.MkdirAll(lf.dir, 0o755); err != nil {
		return Lease{}, err
	}
	lock, err := os.OpenFile(LeaseFile(lf.dir)+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return Lease{}, err
	}
	defer lock.Close() // and so unlocked
	// Never wait long: a holder paused while it holds the lock (the
	// change takes microseconds) must not freeze the others.
	for try := 0; ; try++ {
		err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || try == 20 {
			return Lease{}, fmt.Errorf("lock %s: %w", lock.Name(), err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	l, err := ReadLease(lf.dir)
	if err != nil {
		return l, err
	}
	if !f(&l) {
		return l, nil
	}
	b, _ := json.MarshalIndent(l, "", "  ")
	tmp := LeaseFile(lf.dir) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return l, err
	}
	return l, os.Rename(tmp, LeaseFile(lf.dir))
}

// leaseView is what a reviver has seen of the lease: the record, and when
// (by its own monotonic clock) it last saw it change.
type leaseView struct {
	seen    Lease
	changed time.Time
}

// observe notes the record read at now.
func (v *leaseView) observe(l Lease, now time.Time) {
	if v.changed.IsZero() || l.Holder != v.seen.Holder || l.Epoch != v.seen.Epoch || !l.Renewed.Equal(v.seen.Renewed) {
		v.seen, v.changed = l, now
	}
}

// expired reports whether the holder has not renewed for ttl as seen at
// now.
func (v *leaseView) expired(now time.Time, ttl time.Duration) bool {
	return now.Sub(v.changed) >= ttl
}

// gaveUpOn adds id to the lease's nodes in a restart cycle.
func gaveUpOn(l *Lease, id string) bool {
	if slices.Contains(l.GaveUp, id) {
		return false
	}
	l.GaveUp = append(l.GaveUp, id)
	return true
}

// ResetLease lets the lease of a state directory go, as a realm that
// stopped on purpose would have: for a tool that starts a realm's revivers
// and knows none of them runs (after the machine went down, say). The
// nodes given up on and the scheduled restart are forgotten with it.
func ResetLease(state string) error {
	_, err := leaseFile{dir: state}.update(func(l *Lease) bool {
		if l.Holder == "" && l.GaveUp == nil && l.Restart == nil {
			return false
		}
		*l = Lease{Epoch: l.Epoch, Stopped: l.Stopped}
		return true
	})
	return err
}
