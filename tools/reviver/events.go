package reviver

import (
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// EventKind says what happened to a node.
type EventKind string

// The events.
const (
	// Started: the node's first start.
	Started EventKind = "started"
	// Crashed: the node's process exited, or it stopped answering its
	// health check for DeadAfter (it is then killed).
	Crashed EventKind = "crashed"
	// Adopted: a reviver that took over found the node running (started
	// by the reviver before it) and watches it from now on.
	Adopted EventKind = "adopted"
	// LeaseAcquired and LeaseLost: this reviver became the active one, or
	// a standby (Node is the reviver's ID).
	LeaseAcquired EventKind = "lease_acquired"
	LeaseLost     EventKind = "lease_lost"
	// Restarted: the node was started again after a crash.
	Restarted EventKind = "restarted"
	// Recovered: a restarted node answers its health check again.
	Recovered EventKind = "recovered"
	// GaveUp: the node is in a restart cycle and is left stopped.
	GaveUp EventKind = "gave_up"
	// RestartScheduled, RestartCancelled and RealmRestarted are the
	// realm's scheduled restarts (Node is "realm").
	RestartScheduled EventKind = "restart_scheduled"
	RestartCancelled EventKind = "restart_cancelled"
	RealmRestarted   EventKind = "realm_restarted"
	// StopAndRestore: a node whose recovery is stop-and-restore failed
	// (the db): the realm is stopped and started again around its check.
	StopAndRestore EventKind = "stop_and_restore"
	// BackupFetched and BackupFetchFailed: during a stop-and-restore of
	// the db, the newest verified backup was fetched from the backup node
	// for the db's start (or could not be).
	BackupFetched     EventKind = "backup_fetched"
	BackupFetchFailed EventKind = "backup_fetch_failed"
)

// Event is one thing that happened to one node.
type Event struct {
	At   time.Time     `json:"at"`
	Node string        `json:"node"`
	Role registry.Role `json:"role"`
	Kind EventKind     `json:"event"`
	// Detail says why or how: the exit status, the health check's error,
	// the backoff, the time to recover.
	Detail string `json:"detail,omitempty"`
	PID    int    `json:"pid,omitempty"`
}

func (e Event) String() string {
	s := fmt.Sprintf("reviver: %s %s", e.Node, e.Kind)
	if e.PID != 0 {
		s += fmt.Sprintf(" (pid %d)", e.PID)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// keptEvents is how many recent events /events and Events return.
const keptEvents = 200

// record keeps, counts, logs and tells an event.
func (r *Reviver) record(e Event) {
	e.At = time.Now()
	r.mu.Lock()
	r.events = append(r.events, e)
	if len(r.events) > keptEvents {
		r.events = r.events[len(r.events)-keptEvents:]
	}
	r.mu.Unlock()
	r.counts.WithLabelValues(e.Node, string(e.Role), string(e.Kind)).Inc()
	if r.cfg.OnEvent != nil {
		r.cfg.OnEvent(e)
		return
	}
	switch e.Kind {
	case Crashed:
		r.cfg.Logger.Warn(e.String(), "node", e.Node, "role", e.Role)
	case GaveUp:
		r.cfg.Logger.Error(e.String(), "node", e.Node, "role", e.Role)
	default:
		r.cfg.Logger.Info(e.String(), "node", e.Node, "role", e.Role)
	}
}

// Events returns the recent events, oldest first.
func (r *Reviver) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}
