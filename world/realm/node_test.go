package realm

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/node/nodetest"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/db/dbtest"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/zone"
)

var secret = []byte("realm-test-secret-0123456789abcdef")

var quiet = nodetest.Quiet

// rig: a real db and zone node, the realm node under test, and a node that
// speaks as the login node and a gateway.
type rig struct {
	realm *Node
	peer  *node.Node
}

func startRig(t *testing.T, clock ecs.Clock, tune ...func(*Config)) *rig {
	t.Helper()
	dbPeer := dbtest.Peer(dbtest.Start(t, secret))
	z, err := zone.Start(zone.Config{Node: node.Config{ID: "ZONE", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet(),
		Peers: []node.Peer{dbPeer}}, DB: "DB", Zone: world.ZoneConfig{Seed: 1, Map: world.MapConfig{Width: 128, Height: 128}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	cfg := Config{Node: node.Config{ID: "REALM", Secret: secret, Listen: "127.0.0.1:0", Logger: quiet(),
		Peers: []node.Peer{dbPeer, {ID: "ZONE", Addr: z.Node().Addr()}}}, DB: "DB",
		Zones: map[string]string{"ZONE": z.Node().Addr()}, DefaultZone: "ZONE", Clock: clock}
	for _, f := range tune {
		f(&cfg)
	}
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	p := nodetest.Start(t, node.Config{ID: "GW", Secret: secret, Peers: []node.Peer{{ID: "REALM", Addr: r.Node().Addr()}}})
	return &rig{realm: r, peer: p}
}

// session tells the realm of a session, as the login node does.
func (r *rig) session(t *testing.T, account string, expires time.Time) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte(account))
	handle := sum[:codec.SessionHandleSize]
	sc := codec.SessionCreated{Handle: handle, Account: account, ExpiresUnixMs: expires.UnixMilli()}
	if err := r.peer.Send("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().SessionCreated(&sc)}); err != nil {
		t.Fatal(err)
	}
	return handle
}

// connect presents a handle, as a gateway does, and waits for the answer.
func (r *rig) connect(t *testing.T, handle []byte) codec.RealmConnected {
	t.Helper()
	out := make(chan codec.RealmConnected, 1)
	err := r.peer.Ask("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().Connect(handle)}, 10*time.Second,
		func(m node.Message, err error) {
			var rc codec.RealmConnected
			var msg wire.RealmMessage
			if err == nil && codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg) == nil && msg.BodyType() == wire.RealmBodyRealmConnected {
				var w wire.RealmConnected
				codec.Member(msg.Body, &w)
				rc = codec.ReadRealmConnected(&w)
			} else {
				rc.Message = "no answer"
			}
			out <- rc
		})
	if err != nil {
		t.Fatal(err)
	}
	return <-out
}

// TestSessionConnectsOnce: a fresh handle places the account's character
// in its zone (creating it the first time); the same handle again is
// refused.
func TestSessionConnectsOnce(t *testing.T) {
	r := startRig(t, nil)
	h := r.session(t, "ann", time.Now().Add(time.Minute))
	rc := r.connect(t, h)
	if rc.Status != wire.RealmStatusOk || rc.Zone != "ZONE" || rc.Entered.NetID == 0 {
		t.Fatalf("first connect: %+v", rc)
	}
	dir := r.realm.Directory()
	if len(dir) != 1 || dir[0].Account != "ann" || dir[0].Gateway != "GW" || dir[0].Zone != "ZONE" {
		t.Fatalf("directory: %+v", dir)
	}
	if rc := r.connect(t, h); rc.Status != wire.RealmStatusInvalidSession {
		t.Fatalf("second connect with one handle: %+v", rc)
	}
}

// TestSessionExpiresOnTheRealmsClock: expiry is read from the injected
// clock, not the wall's.
func TestSessionExpiresOnTheRealmsClock(t *testing.T) {
	now := time.Now()
	clock := ecs.NewManualClock(now.Add(time.Hour)) // the realm is an hour ahead
	r := startRig(t, clock)
	h := r.session(t, "ben", now.Add(time.Minute))
	if rc := r.connect(t, h); rc.Status != wire.RealmStatusInvalidSession {
		t.Fatalf("a session expired on the realm's clock was taken: %+v", rc)
	}
}

func TestUnknownHandleIsRefused(t *testing.T) {
	r := startRig(t, nil)
	if rc := r.connect(t, make([]byte, 5)); rc.Status != wire.RealmStatusInvalidSession {
		t.Fatalf("a short handle: %+v", rc)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	zones := map[string]string{"Z": "127.0.0.1:1"}
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{DefaultZone: "Z", Zones: zones}, "DB"},
		{Config{DB: "DB", Zones: zones}, "DefaultZone"},
		{Config{DB: "DB", DefaultZone: "Y", Zones: zones}, "DefaultZone"},
		{Config{DB: "DB", DefaultZone: "Z", Zones: zones, MaxSessions: -1}, "MaxSessions"},
		{Config{DB: "DB", DefaultZone: "Z", Zones: zones, DBTimeout: -1}, "DBTimeout"},
	} {
		_, err := Start(tc.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}

// TestResumeTokenComesBackUntilItsTTL: a placed player's resume token
// places it again after its connection ended; again, within ResumeTTL of
// that first use (a client whose Welcome never came presents it again),
// and no more after; and connected players' tokens do not take the room of
// sessions waiting to connect (MaxSessions).
func TestResumeTokenComesBackUntilItsTTL(t *testing.T) {
	clock := ecs.NewManualClock(time.Now())
	r := startRig(t, clock, func(c *Config) { c.MaxSessions = 1 })
	rc := r.connect(t, r.session(t, "ann", time.Now().Add(time.Hour)))
	if rc.Status != wire.RealmStatusOk || len(rc.ResumeToken) != codec.SessionHandleSize {
		t.Fatalf("first connect: %+v", rc)
	}
	// Another login fits although ann's token lives: tokens are not sessions.
	if other := r.connect(t, r.session(t, "bob", time.Now().Add(time.Hour))); other.Status != wire.RealmStatusOk {
		t.Fatalf("a second player with MaxSessions 1: %+v", other)
	}
	r.peer.Send("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PlayerLeft(rc.Entered.Character)})
	back := r.connect(t, rc.ResumeToken)
	if back.Status != wire.RealmStatusOk || back.Entered.Character != rc.Entered.Character || bytes.Equal(back.ResumeToken, rc.ResumeToken) {
		t.Fatalf("resume: %+v", back)
	}
	clock.Advance(DefaultResumeTTL / 2)
	again := r.connect(t, rc.ResumeToken) // the Welcome of back never reached the client
	if again.Status != wire.RealmStatusOk || again.Entered.Character != rc.Entered.Character {
		t.Fatalf("the token again, within its TTL: %+v", again)
	}
	if d := r.realm.Directory(); len(d) != 2 {
		t.Fatalf("directory after placing ann again: %+v", d)
	}
	clock.Advance(DefaultResumeTTL/2 + time.Second)
	if late := r.connect(t, rc.ResumeToken); late.Status != wire.RealmStatusInvalidSession {
		t.Fatalf("the token past ResumeTTL from its first use: %+v", late)
	}
	clock.Advance(DefaultResumeTTL / 2) // ResumeTTL and a second after again replaced back
	if late := r.connect(t, back.ResumeToken); late.Status != wire.RealmStatusInvalidSession {
		t.Fatalf("the token of a placement replaced ResumeTTL ago: %+v", late)
	}
}

// TestAKickVoidsEveryToken: a kicked player's tokens are void, the current
// one and an older one still within its ResumeTTL; it may log in again, and
// the tokens of that new session are good.
func TestAKickVoidsEveryToken(t *testing.T) {
	r := startRig(t, nil)
	rc := r.connect(t, r.session(t, "ann", time.Now().Add(time.Hour)))
	r.peer.Send("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PlayerLeft(rc.Entered.Character)})
	back := r.connect(t, rc.ResumeToken)
	if back.Status != wire.RealmStatusOk {
		t.Fatalf("resume: %+v", back)
	}
	r.peer.Send("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PlayerKicked(rc.Entered.Character)})
	for name, token := range map[string][]byte{"older": rc.ResumeToken, "current": back.ResumeToken} {
		if got := r.connect(t, token); got.Status != wire.RealmStatusInvalidSession {
			t.Fatalf("the %s token of a kicked player: %+v", name, got)
		}
	}
	fresh := r.connect(t, r.session(t, "ann", time.Now().Add(time.Hour)))
	if fresh.Status != wire.RealmStatusOk {
		t.Fatalf("a login after the kick: %+v", fresh)
	}
	r.peer.Send("REALM", node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().PlayerLeft(fresh.Entered.Character)})
	if got := r.connect(t, fresh.ResumeToken); got.Status != wire.RealmStatusOk {
		t.Fatalf("the new session's token: %+v", got)
	}
}
