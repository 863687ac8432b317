package reviver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/backup"
	"github.com/gridrealm/gridrealm/persist/db"
)

// countdown are the times before a scheduled restart at which players are
// told again (the schedule is announced when it is made, too).
var countdown = []time.Duration{30 * time.Minute, 10 * time.Minute, 5 * time.Minute, 2 * time.Minute, time.Minute,
	30 * time.Second, 10 * time.Second}

// MaxRestartDelay bounds how far ahead a restart may be scheduled.
const MaxRestartDelay = 24 * time.Hour

// ErrNoRestart is returned by CancelRestart's callers when none is
// scheduled, and by ScheduleRestart for an impossible request.
var ErrNoRestart = errors.New("no restart scheduled")

// schedule is a restart to come.
type schedule struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	cancel context.CancelFunc
}

// ScheduleRestart restarts the whole realm in d, telling players before:
// when it is scheduled, and at each mark of the countdown (30 min, 10 min,
// 5 min, 2 min, 1 min, 30 s, 10 s before). Then every gateway closes its
// players with the reason RealmRestart, every node stops in order (the
// zones save everyone), and every node starts again. A restart scheduled
// replaces the one before.
func (r *Reviver) ScheduleRestart(d time.Duration, reason string) error {
	if d < 0 || d > MaxRestartDelay {
		return fmt.Errorf("%w: in %v: want 0..%v", ErrNoRestart, d, MaxRestartDelay)
	}
	if reason == "" {
		reason = "scheduled maintenance"
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &schedule{At: time.Now().Add(d), Reason: reason, cancel: cancel}
	r.mu.Lock()
	old := r.restart
	r.restart = s
	r.mu.Unlock()
	if old != nil {
		old.cancel()
	}
	r.keepPlan(&PlannedRestart{At: s.At, Reason: reason})
	r.record(Event{Node: "realm", Kind: RestartScheduled, Detail: fmt.Sprintf("in %v: %s", d.Round(time.Second), reason)})
	go r.countDown(ctx, s)
	return nil
}

// CancelRestart cancels the scheduled restart, telling players; it
// reports whether there was one.
func (r *Reviver) CancelRestart() bool {
	r.mu.Lock()
	s := r.restart
	r.restart = nil
	r.mu.Unlock()
	if s == nil {
		return false
	}
	s.cancel()
	r.keepPlan(nil)
	select {
	case <-r.stopped:
	default:
		r.announce("The scheduled restart is cancelled.")
		r.record(Event{Node: "realm", Kind: RestartCancelled, Detail: s.Reason})
	}
	return true
}

// Scheduled returns the restart to come, if any.
func (r *Reviver) Scheduled() (at time.Time, reason string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.restart == nil {
		return time.Time{}, "", false
	}
	return r.restart.At, r.restart.Reason, true
}

// countDown tells players at each mark, then restarts the realm.
func (r *Reviver) countDown(ctx context.Context, s *schedule) {
	r.announce(fmt.Sprintf("The realm restarts in %s: %s.", human(time.Until(s.At)), s.Reason))
	for _, mark := range countdown {
		wait := time.Until(s.At.Add(-mark))
		if wait <= 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		r.announce(fmt.Sprintf("The realm restarts in %s: %s.", human(mark), s.Reason))
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Until(s.At)):
	}
	r.mu.Lock()
	if r.restart != s {
		r.mu.Unlock()
		return
	}
	r.restart = nil
	r.mu.Unlock()
	r.keepPlan(nil)
	r.restartRealm(s.Reason)
}

// keepPlan writes the scheduled restart (nil: none) into the lease, for
// the reviver that would take over from this one.
func (r *Reviver) keepPlan(p *PlannedRestart) {
	if r.cfg.State == "" {
		return
	}
	select {
	case <-r.stopped:
		return // stopping: the realm's plan is not this reviver's to change now
	default:
	}
	if _, err := r.lease.update(func(l *Lease) bool {
		l.Restart = p
		return l.Holder == r.cfg.ID
	}); err != nil {
		r.cfg.Logger.Warn("reviver: lease: " + err.Error())
	}
}

// restartRealm stops every node in order and starts them all again.
func (r *Reviver) restartRealm(reason string) {
	r.procedure.Lock()
	defer r.procedure.Unlock()
	if !r.Acting() {
		return
	}
	r.announce("The realm restarts now: " + reason + ".")
	r.closing(wire.DisconnectReasonRealmRestart, reason)
	r.cycle(reason)
}

// closing tells every gateway the reason its coming stop gives players.
func (r *Reviver) closing(reason wire.DisconnectReason, text string) {
	for _, e := range r.cfg.Registry.Nodes {
		if e.Role == registry.RoleGateway {
			r.post(e, "/admin/closing", url.Values{"reason": {strconv.Itoa(int(reason))}, "text": {text}})
		}
	}
}

// stopAndRestore is the seed's procedure for a node whose state the
// others cannot do without (the db): every player is told why and let go
// with DatabaseFailure, the realm stops, and every node starts again — the
// failed node first in the registry's order, whose start checks its store
// with the recovery ladder (repair, else the newest verified backup)
// before it serves.
func (r *Reviver) stopAndRestore(e registry.Entry, why string) {
	r.procedure.Lock()
	defer r.procedure.Unlock()
	if !r.Acting() {
		return
	}
	select {
	case <-r.stopped:
		return
	default:
	}
	r.record(Event{Node: e.ID, Role: e.Role, Kind: StopAndRestore, Detail: why})
	r.fetchBackup(e) // while the backup node still runs
	text := "the realm stops to check its database"
	r.announce("The realm stops now: " + text + ". Log in again in a minute.")
	r.closing(wire.DisconnectReasonDatabaseFailure, text)
	r.cycle("a stop-and-restore after " + e.ID + " failed")
}

// fetchBackup gets the newest verified backup of a failed db's realm from
// its backup node (over the network: backups live on other hardware) into
// the db's restore directory, for its start to restore from if its store
// cannot be repaired. The reviver runs on the db's host (it starts the
// db's process). Without a fresh copy, an older one is removed: a db
// restores the newest backup or none.
func (r *Reviver) fetchBackup(e registry.Entry) {
	if e.Role != registry.RoleDB || e.Data == "" {
		return
	}
	dir := db.RestoreDir(e.Data)
	bk := r.cfg.Registry.InRealm(e.Realm, registry.RoleBackup)
	if len(bk) == 0 || bk[0].Admin == "" || bk[0].Admin == "-" {
		os.RemoveAll(dir)
		r.record(Event{Node: e.ID, Role: e.Role, Kind: BackupFetchFailed, Detail: "the realm has no backup node with an admin address"})
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	got, err := backup.Fetch(ctx, bk[0].Admin, r.cfg.AdminToken, dir)
	if err != nil {
		os.RemoveAll(dir)
		r.record(Event{Node: e.ID, Role: e.Role, Kind: BackupFetchFailed, Detail: err.Error()})
		return
	}
	r.record(Event{Node: e.ID, Role: e.Role, Kind: BackupFetched, Detail: fmt.Sprintf("%s (version %d, verified) from %s into %s in %v",
		got.File, got.Version, bk[0].ID, dir, time.Since(start).Round(time.Millisecond))})
}

// cycle stops every node in order and starts them all again.
func (r *Reviver) cycle(reason string) {
	start := time.Now()
	if err := r.stopNodes(); err != nil {
		r.cfg.Logger.Warn("reviver: restart: " + err.Error())
	}
	select {
	case <-r.stopped:
		return
	default:
	}
	if err := r.startNodes(); err != nil {
		r.cfg.Logger.Error("reviver: restart: " + err.Error())
		return
	}
	r.healthyAll(r.cfg.StartGrace)
	r.record(Event{Node: "realm", Kind: RealmRestarted, Detail: fmt.Sprintf("stopped, started again and healthy in %v: %s", time.Since(start).Round(time.Millisecond), reason)})
}

// healthyAll waits until every node with a restart command and an admin
// address answers its health check, or timeout passes.
func (r *Reviver) healthyAll(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for _, e := range r.cfg.Registry.Nodes {
		if len(e.Restart) == 0 || e.Admin == "" || e.Admin == "-" {
			continue
		}
		for r.healthy(e.Admin) != nil && time.Now().Before(deadline) {
			select {
			case <-r.stopped:
				return
			case <-time.After(r.cfg.CheckEvery):
			}
		}
	}
}

// announce sends a system message to every player, through every gateway.
func (r *Reviver) announce(text string) {
	for _, e := range r.cfg.Registry.Nodes {
		if e.Role == registry.RoleGateway {
			r.post(e, "/admin/broadcast", url.Values{"text": {text}})
		}
	}
}

// post posts an admin action to a node, with the realm's admin token.
func (r *Reviver) post(e registry.Entry, path string, form url.Values) {
	if e.Admin == "" || e.Admin == "-" {
		return
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+e.Admin+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+r.cfg.AdminToken)
	resp, err := r.http.Do(req)
	if err != nil {
		r.cfg.Logger.Warn("reviver: admin action failed", "node", e.ID, "path", path, "err", err)
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // read to the end: the connection is kept
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.cfg.Logger.Warn("reviver: admin action refused", "node", e.ID, "path", path, "status", resp.Status)
	}
}

// human says a duration as players read it.
func human(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute < time.Second:
		if m := int(d / time.Minute); m == 1 {
			return "1 minute"
		} else {
			return fmt.Sprintf("%d minutes", m)
		}
	case d >= time.Minute:
		return d.Round(time.Second).String()
	default:
		return fmt.Sprintf("%d seconds", int(d.Round(time.Second)/time.Second))
	}
}

// dailyNotice is how long before a daily restart its countdown begins.
const dailyNotice = 30 * time.Minute

// daily restarts the realm every day at the registry reviver entry's
// RestartDaily (UTC), each time with a countdown of dailyNotice, until the
// reviver stops.
func (r *Reviver) daily(hour, minute int) {
	for {
		next := nextDaily(time.Now(), hour, minute)
		select {
		case <-r.stopped:
			return
		case <-time.After(time.Until(next.Add(-dailyNotice))):
		}
		if err := r.ScheduleRestart(time.Until(next), "the daily restart"); err != nil {
			r.cfg.Logger.Error("reviver: daily restart: " + err.Error())
		}
		select { // past this day's restart before planning the next
		case <-r.stopped:
			return
		case <-time.After(time.Until(next) + time.Minute):
		}
	}
}

// nextDaily is the next daily restart at hour:minute UTC whose countdown
// has not begun yet.
func nextDaily(now time.Time, hour, minute int) time.Time {
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day(), hour, minute, 0, 0, time.UTC)
	if !next.After(now.Add(dailyNotice)) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}
