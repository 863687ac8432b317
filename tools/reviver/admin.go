package reviver

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/tools/console"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// startAdmin serves /healthz, /metrics, /events (the recent events as
// JSON), the restart actions and the realm console (/console/) on
// Config.Admin, when set.
func (r *Reviver) startAdmin() error {
	if r.cfg.Admin == "" || r.cfg.Admin == "-" {
		return nil
	}
	ln, err := net.Listen("tcp", r.cfg.Admin)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("/metrics", promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{}))
	mux.Handle("/metrics/catalog", r.reg.Handler())
	mux.HandleFunc("/events", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(r.Events())
	})
	mux.HandleFunc("/restart", r.serveRestart)
	mux.Handle("/console/", console.Handler(console.Config{Registry: r.cfg.Registry, AdminToken: r.cfg.AdminToken,
		Events: func() any { return r.Events() }, Restarts: r.restarts}))
	mux.HandleFunc("/restart/cancel", r.action(func(w http.ResponseWriter, _ *http.Request) {
		if !r.CancelRestart() {
			http.Error(w, ErrNoRestart.Error(), http.StatusNotFound)
			return
		}
		fmt.Fprintln(w, "cancelled")
	}))
	r.adminL, r.admin = ln, &http.Server{Handler: mux}
	go r.admin.Serve(ln)
	return nil
}

// restarts counts each node's restarts among the recent events.
func (r *Reviver) restarts() map[string]int {
	out := map[string]int{}
	for _, e := range r.Events() {
		if e.Kind == Restarted {
			out[e.Node]++
		}
	}
	return out
}

// AdminAddr returns the admin endpoint's address, or "" without one.
func (r *Reviver) AdminAddr() string {
	if r.adminL == nil {
		return ""
	}
	return r.adminL.Addr().String()
}

// serveRestart shows the scheduled restart (GET) or schedules one (POST
// in=DURATION reason=TEXT, with the admin token).
func (r *Reviver) serveRestart(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet {
		at, reason, ok := r.Scheduled()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"scheduled": ok, "at": at, "reason": reason})
		return
	}
	r.action(func(w http.ResponseWriter, req *http.Request) {
		in, err := time.ParseDuration(req.FormValue("in"))
		if err != nil {
			http.Error(w, "in: a duration such as 5m", http.StatusBadRequest)
			return
		}
		if err := r.ScheduleRestart(in, req.FormValue("reason")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, "scheduled")
	})(w, req)
}

// action wraps an admin action: POST only, with the admin token.
func (r *Reviver) action(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if !node.AuthorizedAdmin(req, r.cfg.AdminToken) {
			http.Error(w, "an admin action needs the realm's admin token", http.StatusUnauthorized)
			return
		}
		if !r.Acting() {
			l, _ := ReadLease(r.cfg.State)
			http.Error(w, fmt.Sprintf("this reviver stands by: ask %s at %s", l.Holder, l.Admin), http.StatusConflict)
			return
		}
		h(w, req)
	}
}
