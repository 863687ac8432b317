package kube

import (
	"errors"
	"strings"
	"testing"
)

const services = `{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db-1", "annotations": {"gridrealm.dev/id": "DB-1", "gridrealm.dev/role": "db",
  "gridrealm.dev/realm": "main", "gridrealm.dev/data": "/data"}},
  "spec": {"ports": [{"name": "link", "port": 7101}, {"name": "admin", "port": 9101}]}},
 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "gateway-1", "annotations": {"gridrealm.dev/id": "GATEWAY-1", "gridrealm.dev/role": "gateway",
  "gridrealm.dev/public": "gw1.example.net:8106"}},
  "spec": {"ports": [{"name": "link", "port": 7106}]}},
 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "gateway-1-players"}, "spec": {"ports": [{"name": "players", "port": 8106, "protocol": "UDP"}]}},
 {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "gateway-1"}}
]}`

func TestRegistryFromServices(t *testing.T) {
	list, err := ReadServices(strings.NewReader(services))
	if err != nil || len(list) != 3 {
		t.Fatalf("read %d services: %v", len(list), err)
	}
	reg, err := RegistryFromServices(list, Options{SecretFile: "/s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Nodes) != 2 {
		t.Fatalf("%d nodes", len(reg.Nodes))
	}
	db, gw := reg.Nodes[0], reg.Nodes[1]
	if db.ID != "DB-1" || db.Addr != "db-1:7101" || db.Admin != "db-1:9101" || db.Realm != "main" || db.Data != "/data" {
		t.Fatalf("db %+v", db)
	}
	if gw.ID != "GATEWAY-1" || gw.Addr != "gateway-1:7106" || gw.Public != "gw1.example.net:8106" || gw.Realm != "" {
		t.Fatalf("gateway %+v", gw)
	}
}

func TestRegistryFromServicesRefuses(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"no node", `{"items": [{"kind": "Service", "metadata": {"name": "x"}}]}`, "no Service carries"},
		{"no link port", `{"items": [{"kind": "Service", "metadata": {"name": "x", "annotations": {"gridrealm.dev/id": "X", "gridrealm.dev/role": "db"}}}]}`, "no port named link"},
		{"a zone without a realm", `{"items": [{"kind": "Service", "metadata": {"name": "z", "annotations": {"gridrealm.dev/id": "Z", "gridrealm.dev/role": "zone"}},
			"spec": {"ports": [{"name": "link", "port": 7103}]}}]}`, "needs a realm"},
		{"not JSON", `{"items": [`, "kube"},
	} {
		list, err := ReadServices(strings.NewReader(tc.json))
		if err == nil {
			_, err = RegistryFromServices(list, Options{SecretFile: "/s"})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := RegistryFromServices(nil, Options{}); err == nil || errors.Is(err, ErrNoNodes) {
		t.Errorf("without a secret file: %v", err)
	}
}
