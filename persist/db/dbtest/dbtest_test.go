package dbtest

import (
	"testing"

	"github.com/gridrealm/gridrealm/net/node"
)

func TestStartServesAnEmptyStore(t *testing.T) {
	d := Start(t, []byte("dbtest-secret-0123456789abcdef"))
	if p := Peer(d); p.ID != "DB" || p.Addr == "" || p == (node.Peer{}) {
		t.Fatalf("peer %+v", p)
	}
	if _, err := d.Store().Character(1); err == nil {
		t.Fatal("a fresh store holds character 1")
	}
}
