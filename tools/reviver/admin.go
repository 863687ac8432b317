package reviver

import (
	"encoding/json"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// startAdmin serves /healthz, /metrics and /events (the recent events as
// JSON) on Config.Admin, when set.
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
	mux.HandleFunc("/events", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(r.Events())
	})
	r.adminL, r.admin = ln, &http.Server{Handler: mux}
	go r.admin.Serve(ln)
	return nil
}

// AdminAddr returns the admin endpoint's address, or "" without one.
func (r *Reviver) AdminAddr() string {
	if r.adminL == nil {
		return ""
	}
	return r.adminL.Addr().String()
}
