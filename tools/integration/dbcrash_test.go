package integration

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/store"
)

// crashDuration is how long the crash test transfers; make soak sets
// GRIDREALM_CRASH_DURATION=10m.
func crashDuration(t *testing.T) time.Duration {
	if v := os.Getenv("GRIDREALM_CRASH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("GRIDREALM_CRASH_DURATION: %v", err)
		}
		return d
	}
	return 15 * time.Second
}

// TestDBSurvivesSIGKILL runs the db node as its own process while 64
// clients move items among 10,000 characters, kills it with SIGKILL at
// random moments and restarts it. At the end every item has exactly one
// existing owner, none was created or lost, and every transfer the db
// acknowledged is in place.
func TestDBSurvivesSIGKILL(t *testing.T) {
	const (
		clients    = 64
		characters = 10000
		items      = 20000
	)
	dp := startDBProcess(t, "crash", []byte("crash-test-secret-0123456789abcdef"))
	db, data, c := dp.proc, dp.data, dp.client

	// Seed through the db node, retrying until it answers.
	must := func(r codec.DbRequest) codec.DbReply {
		for try := 0; ; try++ {
			rep, err := c.Sync(r)
			if err == nil {
				return rep
			}
			if try > 100 {
				t.Fatalf("db does not answer %s: %v", r.Op, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	chars := make([]uint64, characters)
	seedPar(characters, func(i int) {
		chars[i] = must(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: "crash", Name: fmt.Sprintf("c%d", i), Zone: "Z"}).Character.ID
	})
	itemIDs := make([]uint64, items)
	owner := make([]uint64, items) // the owner each client believes in
	seedPar(items, func(i int) {
		rep := must(codec.DbRequest{Op: wire.DbOpDbGrantItem, Owner: chars[i%characters], Template: 1, Count: 1})
		itemIDs[i], owner[i] = rep.Items[0].ID, rep.Items[0].Owner
	})

	// The clients.
	var acked, unknown atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				i := w + clients*(k%(items/clients))
				to := chars[rng.IntN(characters)]
				if to == owner[i] {
					continue
				}
				_, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbTransferItem, Item: itemIDs[i], From: owner[i], To: to})
				if err == nil {
					owner[i] = to
					acked.Add(1)
					continue
				}
				// Unknown outcome (the db died, or is restarting): the request
				// has expired by the time Sync returns, so what the db says
				// now is final.
				unknown.Add(1)
				owner[i] = must(codec.DbRequest{Op: wire.DbOpDbGetItem, ID: itemIDs[i]}).Items[0].Owner
			}
		}(w)
	}

	// The killer: SIGKILL at random moments, at least 3 times.
	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	deadline := time.Now().Add(crashDuration(t))
	for time.Now().Before(deadline) || kills < 3 {
		time.Sleep(time.Duration(1500+rng.IntN(2500)) * time.Millisecond)
		before := acked.Load()
		db.restart()
		kills++
		t.Logf("kill %d: %d transfers acknowledged before it", kills, before)
	}
	time.Sleep(2 * time.Second) // let the clients work against the last incarnation
	close(stop)
	wg.Wait()
	t.Logf("%d kills, %d transfers acknowledged, %d unknown outcomes resolved", kills, acked.Load(), unknown.Load())
	if acked.Load() < 1000 {
		t.Fatalf("only %d transfers acknowledged", acked.Load())
	}
	db.stop(syscall.SIGTERM)

	// The verdict, from the db's files.
	s, err := store.Open(store.Config{Dir: data, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Check(false)
	if err != nil || r.Problems() != 0 {
		t.Fatalf("integrity: %s %v", r.String(), err)
	}
	if r.Items != items || r.Destroyed != 0 || r.Characters != characters {
		t.Fatalf("conservation: %s, want %d items and %d characters", r.String(), items, characters)
	}
	for i, id := range itemIDs {
		it, err := s.Item(id)
		if err != nil {
			t.Fatal(err)
		}
		if it.Owner != owner[i] {
			b, _ := json.Marshal(it)
			t.Fatalf("item %d: %s in the db, but the last acknowledged owner is %d", id, b, owner[i])
		}
	}
}

// seedPar runs f for 0..n-1 on 32 goroutines.
func seedPar(n int, f func(i int)) {
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += 32 {
				f(i)
			}
		}(g)
	}
	wg.Wait()
}
