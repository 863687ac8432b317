package dbclient_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/db/dbtest"
	"github.com/gridrealm/gridrealm/persist/dbclient"
)

var secret = []byte("dbclient-test-secret-0123456789ab")

// client links a client node to a real db node (in memory).
func client(t *testing.T, timeout time.Duration) (*dbclient.Client, *db.Node) {
	t.Helper()
	d := dbtest.Start(t, secret)
	n := nodetest.Start(t, node.Config{ID: "ZONE", Secret: secret, Peers: []node.Peer{dbtest.Peer(d)}})
	return dbclient.New(n, "DB", timeout), d
}

// TestOneOwnerThroughTheClient: the client's operations do what they say,
// and a refused one carries the sentinel error its status means.
func TestOneOwnerThroughTheClient(t *testing.T) {
	c, _ := client(t, 5*time.Second)
	a, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "a", Name: "Ann", Zone: "Z"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "b", Name: "Ben", Zone: "Z"})
	claim, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbClaimCharacter, ID: a.Character.ID, Zone: "Z"})
	if err != nil {
		t.Fatal(err)
	}
	grant, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: a.Character.ID, Epoch: claim.Epoch, Template: 9, Count: 1})
	if err != nil || len(grant.Items) != 1 {
		t.Fatalf("grant: %+v %v", grant, err)
	}
	item := grant.Items[0].ID
	done := make(chan error, 1)
	if err := c.Transfer(item, a.Character.ID, b.Character.ID, claim.Epoch, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("transfer: %v", err)
	}
	// Ann no longer owns it: a second transfer from her is refused.
	if err := c.Transfer(item, a.Character.ID, b.Character.ID, claim.Epoch, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, dbclient.ErrOwnerMismatch) {
		t.Fatalf("transfer from a former owner: %v", err)
	}
	// A write with an epoch from before a newer claim is fenced off.
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbClaimCharacter, ID: a.Character.ID, Zone: "Z2"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Sync(codec.DbRequest{Op: wire.DbOpDbSaveCheckpoint, ID: a.Character.ID, Epoch: claim.Epoch, Zone: "Z"})
	if !errors.Is(err, dbclient.ErrStaleEpoch) {
		t.Fatalf("checkpoint with a stale epoch: %v", err)
	}
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbLoadCharacter, ID: 999999}); !errors.Is(err, dbclient.ErrNotFound) {
		t.Fatalf("load of no character: %v", err)
	}
}

// TestUnreachableDBTimesOut: with the db gone the callback gets
// node.ErrTimeout within the client's timeout, not never.
func TestUnreachableDBTimesOut(t *testing.T) {
	c, d := client(t, 300*time.Millisecond)
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "a", Name: "Ann", Zone: "Z"}); err != nil {
		t.Fatal(err)
	}
	d.Node().Kill()
	start := time.Now()
	_, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbFindCharacter, Name: "Ann"})
	if !errors.Is(err, node.ErrTimeout) {
		t.Fatalf("request to a dead db: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the timeout took %v", took)
	}
}

func TestStatusErrors(t *testing.T) {
	for status, want := range map[wire.DbStatus]error{
		wire.DbStatusNotFound: dbclient.ErrNotFound, wire.DbStatusOwnerMismatch: dbclient.ErrOwnerMismatch,
		wire.DbStatusStaleEpoch: dbclient.ErrStaleEpoch, wire.DbStatusExpired: dbclient.ErrExpired,
		wire.DbStatusInvalid: dbclient.ErrInvalid, wire.DbStatusBusy: dbclient.ErrBusy, wire.DbStatusExists: dbclient.ErrExists,
		wire.DbStatus(200): dbclient.ErrFailed,
	} {
		if err := dbclient.StatusError(status, "why"); !errors.Is(err, want) {
			t.Errorf("%v: %v", status, err)
		}
	}
	if err := dbclient.StatusError(wire.DbStatusOk, "fine"); err != nil {
		t.Errorf("Ok: %v", err)
	}
}
