// Package agonestest is a local fake of the Agones SDK sidecar's REST API
// for tests: it answers the calls a game server makes and records them in
// order, and it refuses what the real sidecar would (an unknown path, a
// wrong method, a body that is not JSON, a label without a key).
package agonestest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Sidecar is a fake SDK sidecar.
type Sidecar struct {
	srv *httptest.Server

	mu     sync.Mutex
	calls  []string
	labels map[string]string
	// FailNext makes the next n calls answer 503 (a sidecar still starting).
	failNext int
}

// Start starts a fake sidecar on a loopback port.
func Start() *Sidecar {
	s := &Sidecar{labels: map[string]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the sidecar's base URL; Port its port, as Agones puts it in
// AGONES_SDK_HTTP_PORT.
func (s *Sidecar) URL() string { return s.srv.URL }
func (s *Sidecar) Port() string {
	return s.srv.URL[strings.LastIndexByte(s.srv.URL, ':')+1:]
}

// Close stops the sidecar.
func (s *Sidecar) Close() { s.srv.Close() }

// FailNext makes the next n calls answer 503 Service Unavailable.
func (s *Sidecar) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// Calls returns the calls answered so far, in order: "ready", "health",
// "shutdown", "allocate", "label key=value".
func (s *Sidecar) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *Sidecar) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"error":"body is not JSON"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		http.Error(w, `{"error":"starting"}`, http.StatusServiceUnavailable)
		return
	}
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == "/ready" || r.URL.Path == "/health" || r.URL.Path == "/shutdown" || r.URL.Path == "/allocate"):
		s.calls = append(s.calls, strings.TrimPrefix(r.URL.Path, "/"))
	case r.Method == http.MethodPut && r.URL.Path == "/metadata/label":
		if body["key"] == "" {
			http.Error(w, `{"error":"a label needs a key"}`, http.StatusBadRequest)
			return
		}
		s.labels[body["key"]] = body["value"]
		s.calls = append(s.calls, "label "+body["key"]+"="+body["value"])
	default:
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("{}"))
}
