package integration

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// TestDumpReadsAKilledStore: `realm db dump` refuses a store a running db
// holds, with the reason, and reads the store a SIGKILLed db left behind
// (which Badger cannot open read-only) without changing it.
func TestDumpReadsAKilledStore(t *testing.T) {
	dp := startDBProcess(t, "dump", []byte("dump-test-secret-0123456789abcdef"))
	db, data, c := dp.proc, dp.data, dp.client
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
