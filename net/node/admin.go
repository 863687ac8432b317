package node

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HandleAdmin adds a handler to the admin endpoint. Call it before Start.
func (n *Node) HandleAdmin(pattern string, h http.Handler) { n.adminMux.Handle(pattern, h) }

func (n *Node) startAdmin() error {
	if n.cfg.Admin == "-" {
		return nil
	}
	ln, err := net.Listen("tcp", n.cfg.Admin)
	if err != nil {
		return fmt.Errorf("node %s: admin listen %s: %w", n.cfg.ID, n.cfg.Admin, err)
	}
	n.adminLn = ln
	mux := n.adminMux
	mux.HandleFunc("/healthz", n.serveHealth)
	mux.Handle("/metrics", promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{Registry: n.reg}))
	mux.Handle("/metrics/catalog", n.reg.Handler()) // every metric it may report (docs/metrics.md)
	// Profiles show the process's insides (and cost CPU): the admin token.
	mux.HandleFunc("/debug/pprof/", n.withToken(pprof.Index))
	mux.HandleFunc("/debug/pprof/cmdline", n.withToken(pprof.Cmdline))
	mux.HandleFunc("/debug/pprof/profile", n.withToken(pprof.Profile))
	mux.HandleFunc("/debug/pprof/symbol", n.withToken(pprof.Symbol))
	mux.HandleFunc("/debug/pprof/trace", n.withToken(pprof.Trace))
	n.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := n.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("admin endpoint failed", "err", err)
		}
	}()
	return nil
}

func (n *Node) stopAdmin() {
	if n.admin == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n.admin.Shutdown(ctx)
}

// Health is what /healthz answers.
type Health struct {
	ID     string `json:"id"`
	Role   string `json:"role"`
	Realm  string `json:"realm,omitempty"`
	Status string `json:"status"` // "ok" or "stopping"
	// LinkTLS: the node's links are TLS with the cluster's CA.
	LinkTLS bool `json:"link_tls"`
	// UptimeS is how long the node has run, in seconds.
	UptimeS float64      `json:"uptime_s"`
	Peers   []PeerHealth `json:"peers"`
}

// PeerHealth is one link's state.
type PeerHealth struct {
	ID      string `json:"id"`
	Up      bool   `json:"up"`
	Pending int    `json:"pending"` // messages not yet acknowledged
}

// Health returns the node's state.
func (n *Node) Health() Health {
	h := Health{ID: n.cfg.ID, Role: string(n.cfg.Role), Realm: n.cfg.Realm, Status: "ok", LinkTLS: n.cfg.TLS != nil,
		UptimeS: time.Since(n.startedAt).Seconds(), Peers: []PeerHealth{}}
	if n.stopping.Load() {
		h.Status = "stopping"
	}
	for _, p := range n.allPeers() {
		msgs, _ := p.pending()
		p.mu.Lock()
		up := p.conn != nil
		p.mu.Unlock()
		h.Peers = append(h.Peers, PeerHealth{ID: p.id, Up: up, Pending: msgs})
	}
	sort.Slice(h.Peers, func(i, j int) bool { return h.Peers[i].ID < h.Peers[j].ID })
	return h
}

func (n *Node) serveHealth(w http.ResponseWriter, _ *http.Request) {
	h := n.Health()
	w.Header().Set("Content-Type", "application/json")
	if h.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(h)
}

// HandleAction registers an admin action: a POST to path on the admin
// endpoint that changes something (a broadcast, a kick). A request without
// Config.AdminToken as its bearer token is refused with 401; a node
// without a token refuses every action.
func (n *Node) HandleAction(path string, h http.HandlerFunc) {
	n.adminMux.HandleFunc(path, func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if !AuthorizedAdmin(req, n.cfg.AdminToken) {
			http.Error(w, "an admin action needs the realm's admin token", http.StatusUnauthorized)
			return
		}
		h(w, req)
	})
}

// HandleRead registers a GET endpoint that shows what players must not
// see (positions, a zone's live view): like an action, it needs the
// admin token.
func (n *Node) HandleRead(path string, h http.HandlerFunc) {
	n.adminMux.HandleFunc(path, func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		n.withToken(h)(w, req)
	})
}

func (n *Node) withToken(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if !AuthorizedAdmin(req, n.cfg.AdminToken) {
			http.Error(w, "this needs the realm's admin token", http.StatusUnauthorized)
			return
		}
		h(w, req)
	}
}

// AuthorizedAdmin reports whether a request carries token as its bearer
// token, compared in constant time; an empty token authorizes nothing.
func AuthorizedAdmin(req *http.Request, token string) bool {
	got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	return ok && token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
