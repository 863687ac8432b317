package integration

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
)

// TestDumpReadsAKilledStore: `realm db dump` refuses a store a running db
// holds, with the reason, and reads the store a SIGKILLed db left behind
// (which Badger cannot open read-only) without changing it.
func TestDumpReadsAKilledStore(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "db")
	secret := []byte("dump-test-secret-0123456789abcdef")
	reg := &registry.Registry{Nodes: []registry.Entry{{ID: "DB-1", Role: registry.RoleDB, Realm: "dump", Addr: freePort(t), Admin: "127.0.0.1:0"}}}
	reg.SetSecret(secret)
	regPath := filepath.Join(dir, "registry.json")
	if err := reg.Save(regPath); err != nil {
		t.Fatal(err)
	}
	db := startProcess(t, "db", "--registry", regPath, "--id", "DB-1", "--data", data, "--log", "warn")
	n, err := node.New(node.Config{ID: "DUMP-CLIENT", Secret: secret, Admin: "-", Logger: quiet(), Handler: idle{},
		Peers: []node.Peer{{ID: "DB-1", Addr: reg.Nodes[0].Addr}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	c := dbclient.New(n, "DB-1", 2*time.Second)
	waitUntil(t, "the db to answer", 10*time.Second, func() bool {
		_, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "a", Name: "Survivor", Zone: "Z"})
		return err == nil
	})
	dump := func() (string, error) {
		var out, errOut bytes.Buffer
		cmd := exec.Command(realmBin, "db", "dump", "--data", data, "--json")
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String() + errOut.String(), err
	}
	if out, err := dump(); err == nil || !strings.Contains(out, "in use by a running node") {
		t.Fatalf("dump of a running db: %v\n%s", err, out)
	}
	db.stop(syscall.SIGKILL)
	out, err := dump()
	if err != nil || !strings.Contains(out, `"Survivor"`) {
		t.Fatalf("dump of a killed db: %v\n%s", err, out)
	}
	// The store was not changed: a second dump reads it the same way.
	if again, err := dump(); err != nil || again != out {
		t.Fatalf("second dump: %v\n%s", err, again)
	}
}
