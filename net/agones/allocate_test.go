package agones_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gridrealm/gridrealm/net/agones"
)

// fakeAPI answers GameServerAllocations as the Kubernetes API server with
// Agones does, after checking the request.
func fakeAPI(t *testing.T, state string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/apis/allocation.agones.dev/v1/namespaces/gridrealm/gameserverallocations" ||
			r.Header.Get("Authorization") != "Bearer sa-token" {
			t.Errorf("request %s %s, auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var req map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil || req["kind"] != "GameServerAllocation" {
			t.Errorf("body %s: %v", b, err)
		}
		spec := req["spec"].(map[string]any)
		sel := spec["selectors"].([]any)[0].(map[string]any)["matchLabels"].(map[string]any)
		if sel["agones.dev/fleet"] != "instances" || spec["metadata"].(map[string]any)["labels"].(map[string]any)["gridrealm.dev/realm"] != "main" {
			t.Errorf("spec %v", spec)
		}
		resp := map[string]any{"apiVersion": "allocation.agones.dev/v1", "kind": "GameServerAllocation", "status": map[string]any{"state": state}}
		if state == "Allocated" {
			resp["status"] = map[string]any{"state": state, "gameServerName": "instances-x7k2p-abcde", "address": "10.0.0.7", "nodeName": "node-3",
				"ports": []map[string]any{{"name": "link", "port": 7345}}}
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(resp)
	}))
}

func TestAllocate(t *testing.T) {
	for _, tc := range []struct {
		state string
		want  error
	}{{"Allocated", nil}, {"UnAllocated", agones.ErrNoGameServer}, {"Contention", agones.ErrContention}} {
		srv := fakeAPI(t, tc.state)
		a := &agones.Allocator{API: srv.URL, Namespace: "gridrealm", Token: func() (string, error) { return "sa-token", nil }, Client: srv.Client()}
		gs, err := a.Allocate(context.Background(), "instances", map[string]string{"gridrealm.dev/realm": "main"})
		srv.Close()
		if !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.state, err, tc.want)
		}
		if tc.want == nil && (gs.Name != "instances-x7k2p-abcde" || gs.Address != "10.0.0.7" || gs.Ports["link"] != 7345) {
			t.Fatalf("allocated %+v", gs)
		}
		if tc.want == nil {
			srv := fakeAPI(t, tc.state)
			f := agones.Fleet{Allocator: &agones.Allocator{API: srv.URL, Namespace: "gridrealm", Token: func() (string, error) { return "sa-token", nil },
				Client: srv.Client()}, Name: "instances", Labels: map[string]string{"gridrealm.dev/realm": "main"}}
			id, addr, err := f.Allocate(context.Background())
			srv.Close()
			if err != nil || id != "instances-x7k2p-abcde" || addr != "10.0.0.7:7345" {
				t.Fatalf("as a node: %s at %s, %v", id, addr, err)
			}
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "forbidden", http.StatusForbidden) }))
	defer srv.Close()
	a := &agones.Allocator{API: srv.URL, Namespace: "gridrealm", Client: srv.Client()}
	if _, err := a.Allocate(context.Background(), "instances", nil); !errors.Is(err, agones.ErrRefused) {
		t.Fatalf("without RBAC: %v", err)
	}
	if _, err := agones.InCluster(""); err == nil {
		t.Fatal("InCluster outside a pod succeeded")
	}
}
