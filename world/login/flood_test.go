package login

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// loginFrom logs in over a socket bound to a loopback address of its own.
func (f *fixture) loginFrom(tr *pquic.Transport, account, password string, timeout time.Duration) (wire.LoginStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := tr.Dial(ctx, f.login.Addr(), f.client)
	if err != nil {
		return 0, err
	}
	defer s.Close(0, "")
	if err := s.Send(codec.NewPlayerEncoder().LoginRequest(account, password, "dev", 1, nil)); err != nil {
		return 0, err
	}
	deadline, _ := ctx.Deadline()
	b, _, err := recvAnswer(s, deadline)
	if err != nil {
		return 0, err
	}
	var m wire.ServerMessage
	if err := codec.DecodeServerMessage(b, &m); err != nil || m.BodyType() != wire.ServerBodyLoginResult {
		return 0, fmt.Errorf("answer %v: %v", m.BodyType(), err)
	}
	var r wire.LoginResult
	codec.Member(m.Body, &r)
	return r.Status(), nil
}

// TestLoginFloodHonestPlayersGetIn floods the login node with wrong
// passwords from 16 addresses while 10 players log in every 2 s from 10
// others, with the real argon2id cost: the players must get in.
func TestLoginFloodHonestPlayersGetIn(t *testing.T) {
	if testing.Short() {
		t.Skip("a 20 s flood")
	}
	if raceDetector {
		// Under the race detector argon2id runs ~15× slower (about one
		// check a second on 2 busy cores): the honest players' own demand
		// exceeds it, whatever the queue does. make test runs this test
		// again without -race.
		t.Skip("the flood needs argon2id at full speed: run without -race (make test does)")
	}
	const attackers, honest, duration = 16, 10, 20 * time.Second
	f := start(t, nil)
	for i := 0; i < honest; i++ {
		if err := f.login.CreateAccount(fmt.Sprintf("player%d", i), "right password"); err != nil {
			t.Fatal(err)
		}
	}
	transport := func(host string) *pquic.Transport {
		tr, err := pquic.NewTransportAt(host + ":0")
		if err != nil {
			t.Skipf("cannot bind %s (this test needs the loopback network 127.0.0.0/8): %v", host, err)
		}
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	stop := time.Now().Add(duration)
	var wg sync.WaitGroup
	var floodTried, floodHashed atomic.Int64
	for i := 0; i < attackers; i++ {
		tr := transport(fmt.Sprintf("127.0.1.%d", i+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(stop); n++ {
				// Half the guesses aim at the honest players' accounts.
				account := fmt.Sprintf("player%d", n%honest)
				if n%2 == 1 {
					account = fmt.Sprintf("nobody%d", n)
				}
				st, err := f.loginFrom(tr, account, "guess", 12*time.Second)
				floodTried.Add(1)
				if err == nil && st == wire.LoginStatusDenied {
					floodHashed.Add(1)
				}
			}
		}()
	}
	var mu sync.Mutex
	outcomes := map[string]int{}
	for i := 0; i < honest; i++ {
		tr := transport(fmt.Sprintf("127.0.2.%d", i+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(2 * time.Second)
			defer tick.Stop()
			for time.Now().Before(stop) {
				st, err := f.loginFrom(tr, fmt.Sprintf("player%d", i), "right password", 12*time.Second)
				key := st.String()
				if err != nil {
					key = "error: " + err.Error()
				}
				mu.Lock()
				outcomes[key]++
				mu.Unlock()
				<-tick.C
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range outcomes {
		total += n
	}
	ok := outcomes[wire.LoginStatusOk.String()]
	rate := float64(ok) / float64(total)
	t.Logf("flood: %d attempts from %d addresses, %d checked (%.1f/s); honest: %d of %d logins succeeded (%.1f%%), outcomes %v",
		floodTried.Load(), attackers, floodHashed.Load(), float64(floodHashed.Load())/duration.Seconds(), ok, total, 100*rate, outcomes)
	if total < honest*4 || rate < 0.95 { // at least 40 tries, even under -race on a loaded box
		t.Fatalf("honest players got in %d of %d times (%.1f%%), want ≥ 95%%: %v", ok, total, 100*rate, outcomes)
	}
}
