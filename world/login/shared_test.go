package login

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/db/dbtest"
)

// request sends one request to the login node and returns its answer.
func (f *fixture) request(t *testing.T, payload []byte) wire.ServerMessage {
	t.Helper()
	m, err := f.send(payload)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func loginResult(t *testing.T, m wire.ServerMessage) codec.LoginResult {
	t.Helper()
	if m.BodyType() != wire.ServerBodyLoginResult {
		t.Fatalf("answer %v, want a LoginResult", m.BodyType())
	}
	var r wire.LoginResult
	codec.Member(m.Body, &r)
	return codec.LoginResult{Status: r.Status(), SessionHandle: r.SessionHandleBytes(), Message: string(r.Message())}
}

// sharedDB starts a login db and returns the config of a login node over
// it, by id.
func sharedDB(t *testing.T) func(id string) func(*Config) { return sharedBy(dbtest.Start(t, secret)) }

func sharedBy(ldb *db.Node) func(id string) func(*Config) {
	return func(id string) func(*Config) {
		return func(c *Config) {
			c.Node.ID, c.AccountDB = id, "DB"
			c.Node.Peers = append(c.Node.Peers, dbtest.Peer(ldb))
			c.Burst, c.PerSecond = 100, 100
		}
	}
}

// TestLoginNodesShareTheLoginDB: two login nodes over one login db node;
// an account made online through one logs in through the other, a taken or
// bad name is refused, and with the login db gone a login is told Busy
// (never Denied: the password was not checked).
func TestLoginNodesShareTheLoginDB(t *testing.T) {
	ldb := dbtest.Start(t, secret)
	shared := sharedBy(ldb)
	a, b := start(t, shared("LOGIN-1")), start(t, shared("LOGIN-2"))
	enc := codec.NewPlayerEncoder()
	if r := loginResult(t, a.request(t, enc.RegisterRequest("newcomer", "a fine password", 1))); r.Status != wire.LoginStatusOk {
		t.Fatalf("register: %+v", r)
	}
	if r := loginResult(t, b.request(t, enc.LoginRequest("newcomer", "a fine password", "dev", 1, nil))); r.Status != wire.LoginStatusOk || len(r.SessionHandle) != codec.SessionHandleSize {
		t.Fatalf("login through the other node: %+v", r)
	}
	if r := loginResult(t, a.request(t, enc.LoginRequest("alice", "correct horse", "dev", 1, nil))); r.Status != wire.LoginStatusOk {
		t.Fatalf("an account made by the other node (alice, by start): %+v", r)
	}
	for _, tc := range []struct {
		account, password string
		want              wire.LoginStatus
	}{
		{"newcomer", "another", wire.LoginStatusExists},
		{"", "pw", wire.LoginStatusInvalid},
		{"tab\tname", "pw", wire.LoginStatusInvalid},
		{strings.Repeat("n", 65), "pw", wire.LoginStatusInvalid},
		{"nopassword", "", wire.LoginStatusInvalid},
	} {
		if r := loginResult(t, b.request(t, enc.RegisterRequest(tc.account, tc.password, 1))); r.Status != tc.want {
			t.Errorf("register %q/%d bytes: %v %q, want %v", tc.account, len(tc.password), r.Status, r.Message, tc.want)
		}
	}
	ldb.Stop()
	r := loginResult(t, a.request(t, enc.LoginRequest("newcomer", "a fine password", "dev", 1, nil)))
	if r.Status != wire.LoginStatusBusy || !strings.Contains(r.Message, "unavailable") {
		t.Fatalf("login with the login db down: %+v, want Busy (accounts unavailable)", r)
	}
}

// TestRealmListShowsPopulationAndDownRealms: the list names each realm
// with the players its realm node counts, and Down once it is gone.
func TestRealmListShowsPopulationAndDownRealms(t *testing.T) {
	f := start(t, func(c *Config) { c.Burst = 10 })
	if r, _ := f.attempt(t, "alice", "correct horse", "dev"); r.Status != wire.LoginStatusOk {
		t.Fatalf("login: %+v", r)
	}
	list := func() []codec.RealmInfo {
		m := f.request(t, codec.NewPlayerEncoder().RealmListRequest())
		if m.BodyType() != wire.ServerBodyRealmList {
			t.Fatalf("answer %v, want a RealmList", m.BodyType())
		}
		var w wire.RealmList
		codec.Member(m.Body, &w)
		return codec.ReadRealmList(&w)
	}
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(3 * PopulationEvery)
		for {
			got := fmt.Sprint(list())
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("realm list %s, want %s", got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(fmt.Sprint([]codec.RealmInfo{{Name: "dev", Players: 1, State: wire.RealmStateUp}}))
	f.rn.Stop()
	waitFor(fmt.Sprint([]codec.RealmInfo{{Name: "dev", State: wire.RealmStateDown}}))
}
