package db

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/persist/store"
)

var secret = []byte("dbnode-test-secret-0123456789")

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

type collect struct {
	mu   sync.Mutex
	msgs []node.Message
}

func (c *collect) HandleMessage(_ *node.Node, m node.Message) {
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
}
func (*collect) HandlePeer(*node.Node, node.PeerEvent) {}

func setup(t *testing.T) (*Node, *node.Node, *dbclient.Client, *collect) {
	t.Helper()
	d, err := Start(Config{Node: node.Config{ID: "DB", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet()},
		Store: store.Config{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	got := &collect{}
	n, err := node.New(node.Config{ID: "ZONE", Secret: secret, Logger: quiet(), Handler: got, Peers: []node.Peer{{ID: "DB", Addr: d.Node().Addr()}}})
	if err != nil {
		t.Fatal(err)
	}
	n.Start()
	t.Cleanup(func() { n.Stop(); d.Stop() })
	return d, n, dbclient.New(n, "DB", 5*time.Second), got
}

func TestOperationsOverTheLink(t *testing.T) {
	_, _, c, _ := setup(t)
	a, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "acct", Name: "Ann", Zone: "Z1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "acct", Name: "Ben", Zone: "Z1"})
	claim, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbClaimCharacter, ID: a.Character.ID, Zone: "Z1"})
	if err != nil || claim.Epoch != 1 {
		t.Fatalf("claim: %+v %v", claim, err)
	}
	g, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: a.Character.ID, Epoch: claim.Epoch, Template: 9, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	item := g.Items[0].ID
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbTransferItem, Item: item, From: b.Character.ID, To: a.Character.ID}); !errors.Is(err, dbclient.ErrOwnerMismatch) {
		t.Fatalf("wrong owner: %v", err)
	}
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbTransferItem, Item: item, From: a.Character.ID, To: b.Character.ID, Epoch: 7}); !errors.Is(err, dbclient.ErrStaleEpoch) {
		t.Fatalf("stale epoch: %v", err)
	}
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbTransferItem, Item: item, From: a.Character.ID, To: b.Character.ID, Epoch: claim.Epoch}); err != nil {
		t.Fatal(err)
	}
	load, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbLoadCharacter, ID: b.Character.ID})
	if err != nil || load.Character.Name != "Ben" || len(load.Items) != 1 || load.Items[0].Count != 3 {
		t.Fatalf("load: %+v %v", load, err)
	}
	if f, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbFindCharacter, Name: "Ben"}); err != nil || f.Character.ID != b.Character.ID {
		t.Fatalf("find Ben: %+v %v", f, err)
	}
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbFindCharacter, Name: "Nobody"}); !errors.Is(err, dbclient.ErrNotFound) {
		t.Fatalf("find nobody: %v", err)
	}
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "acct", Name: "Ann"}); !errors.Is(err, dbclient.ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
}

// TestExpiredRequestIsNotApplied: a request that arrives after its expiry
// is refused, unapplied.
func TestExpiredRequestIsNotApplied(t *testing.T) {
	d, n, c, got := setup(t)
	a, _ := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "acct", Name: "Old", Zone: "Z"})
	req := codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: a.Character.ID, Template: 1, Count: 1, ExpiresUnixMs: time.Now().Add(-time.Second).UnixMilli()}
	if err := n.Send("DB", node.Out{Kind: kinds.Db, Payload: codec.NewDbEncoder().Request(&req)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got.mu.Lock()
		k := len(got.msgs)
		got.mu.Unlock()
		if k > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reply")
		}
		time.Sleep(5 * time.Millisecond)
	}
	rep, err := dbclient.DecodeReply(got.msgs[0].Payload)
	if err != nil || rep.Status != wire.DbStatusExpired {
		t.Fatalf("reply %+v %v", rep, err)
	}
	if items, _ := d.Store().Items(a.Character.ID); len(items) != 0 {
		t.Fatalf("an expired grant was applied: %+v", items)
	}
}

// TestHostileRequestsAreRefused: garbage payloads get an Invalid reply
// and the node keeps serving.
func TestHostileRequestsAreRefused(t *testing.T) {
	_, n, c, got := setup(t)
	for _, junk := range [][]byte{{}, []byte("GRDB"), make([]byte, 100), []byte("\x08\x00\x00\x00GRDB\xff\xff\xff\xff")} {
		n.Send("DB", node.Out{Kind: kinds.Db, Payload: junk})
	}
	n.Send("DB", node.Out{Kind: 999, Payload: []byte("unknown kind")})
	if _, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "a", Name: "Still"}); err != nil {
		t.Fatalf("after garbage: %v", err)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	if len(got.msgs) < 4 {
		t.Fatalf("%d replies to 4 bad requests", len(got.msgs))
	}
	for _, m := range got.msgs[:4] {
		if rep, err := dbclient.DecodeReply(m.Payload); err != nil || rep.Status != wire.DbStatusInvalid {
			t.Fatalf("reply to garbage: %+v %v", rep, err)
		}
	}
}

// TestStopAnswersEverythingApplied: the db stops while hundreds of
// requests are in flight; every grant it applied was answered OK before its
// links closed (the others time out, unapplied).
func TestStopAnswersEverythingApplied(t *testing.T) {
	dir := t.TempDir()
	d, err := Start(Config{Node: node.Config{ID: "DB", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet()}, Store: store.Config{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := node.New(node.Config{ID: "ZONE", Secret: secret, Logger: quiet(), Handler: &collect{}, Peers: []node.Peer{{ID: "DB", Addr: d.Node().Addr()}}})
	n.Start()
	defer n.Stop()
	c := dbclient.New(n, "DB", 2*time.Second)
	a, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "a", Name: "Q"})
	if err != nil {
		t.Fatal(err)
	}
	var answered sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 2000; i++ {
		answered.Add(1)
		c.Do(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: a.Character.ID, Template: 1, Count: 1}, func(_ codec.DbReply, err error) {
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
			answered.Done()
		})
	}
	time.Sleep(2 * time.Millisecond)
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	answered.Wait()
	s, err := store.Open(store.Config{Dir: dir, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	items, _ := s.Items(a.Character.ID)
	if len(items) != ok {
		t.Fatalf("%d grants applied, %d answered OK", len(items), ok)
	}
	t.Logf("%d of 2000 grants applied and answered before the stop", ok)
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Store: store.Config{InMemory: true}, Workers: -1}, "Workers"},
		{Config{Store: store.Config{InMemory: true}, Workers: MaxWorkers + 1}, "Workers"},
		{Config{Store: store.Config{InMemory: true}, Queue: -1}, "Queue"},
		{Config{Store: store.Config{InMemory: true}, Restore: "/backups"}, "RestoreFunc"},
		{Config{}, "Store.Dir"},
	} {
		_, err := Start(tc.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}
