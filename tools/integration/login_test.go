package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/net/wire"
)

type sessions struct {
	mu   sync.Mutex
	got  []codec.SessionCreated
	seen chan struct{}
}

func (s *sessions) HandleMessage(_ *node.Node, m node.Message) {
	var msg wire.RealmMessage
	if m.Kind != kinds.Realm || codec.DecodeRealmMessage(m.Payload, len(m.Payload), &msg) != nil {
		return
	}
	var sc wire.SessionCreated
	codec.Member(msg.Body, &sc)
	s.mu.Lock()
	s.got = append(s.got, codec.ReadSessionCreated(&sc))
	s.mu.Unlock()
	s.seen <- struct{}{}
}
func (*sessions) HandlePeer(*node.Node, node.PeerEvent) {}

// TestLoginNodeProcess: an account created with `realm account create`
// logs in over QUIC to `realm login` running as its own process, which
// hands the session to the realm node named in the registry.
func TestLoginNodeProcess(t *testing.T) {
	dir := t.TempDir()
	loginData := filepath.Join(dir, "login")
	secret := []byte("login-process-secret-0123456789")
	reg := &registry.Registry{Nodes: []registry.Entry{
		{ID: "LOGIN-1", Role: registry.RoleLogin, Addr: freePort(t), Public: freePort(t), Admin: "127.0.0.1:0", Data: loginData},
		{ID: "REALM-1", Role: registry.RoleRealm, Realm: "itest", Addr: freePort(t)},
		{ID: "GW-1", Role: registry.RoleGateway, Realm: "itest", Addr: freePort(t), Public: "127.0.0.1:7443"},
	}}
	reg.SetSecret(secret)
	regPath := filepath.Join(dir, "registry.json")
	if err := reg.Save(regPath); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("hunter2\n"), 0o600)
	out, err := exec.Command(realmBin, "account", "create", "--data", loginData, "--name", "bob", "--password-file", pw).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `account "bob" created`) {
		t.Fatalf("account create: %v: %s", err, out)
	}

	rec := &sessions{seen: make(chan struct{}, 1)}
	realm, err := node.New(node.Config{ID: "REALM-1", Secret: secret, Listen: reg.Nodes[1].Addr, Logger: quiet(), Handler: rec})
	if err != nil {
		t.Fatal(err)
	}
	realm.Start()
	defer realm.Stop()
	startProcess(t, "login", "--registry", regPath, "--id", "LOGIN-1", "--log", "warn")

	var certPEM []byte
	deadline := time.Now().Add(15 * time.Second)
	for certPEM == nil {
		certPEM, _ = os.ReadFile(filepath.Join(dir, "cert.pem")) // beside the registry
		if time.Now().After(deadline) {
			t.Fatal("the login node wrote no certificate")
		}
		time.Sleep(20 * time.Millisecond)
	}
	clientTLS, err := pquic.ClientTLS(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	var res wire.LoginResult
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s, err := pquic.Dial(ctx, reg.Nodes[0].Public, clientTLS)
		cancel()
		if err != nil {
			if try > 50 {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // the node may still be starting
			continue
		}
		s.Send(codec.NewPlayerEncoder().LoginRequest("bob", "hunter2", "itest", 1))
		b, err := s.Recv(time.Now().Add(10 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var m wire.ServerMessage
		if err := codec.DecodeServerMessage(b, &m); err != nil {
			t.Fatal(err)
		}
		codec.Member(m.Body, &res)
		s.Close(0, "")
		break
	}
	if res.Status() != wire.LoginStatusOk || res.SessionHandleLength() != 32 || res.GatewaysLength() != 1 || string(res.Gateways(0)) != "127.0.0.1:7443" {
		t.Fatalf("login result: status %v, handle %d bytes, %d gateways", res.Status(), res.SessionHandleLength(), res.GatewaysLength())
	}
	select {
	case <-rec.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("the realm node never got the session")
	}
	if rec.got[0].Account != "bob" || string(rec.got[0].Handle) != string(res.SessionHandleBytes()) {
		t.Fatalf("session at the realm: %+v", rec.got[0])
	}
}
