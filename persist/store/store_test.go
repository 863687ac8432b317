package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"log/slog"
	"sync"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(Config{Dir: t.TempDir(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOperations(t *testing.T) {
	s := openTest(t)
	a, err := s.CreateCharacter("acct-a", "Alia", "Z1", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.CreateCharacter("acct-b", "Bor", "Z1", 3, 4)
	if _, err := s.CreateCharacter("acct-c", "Alia", "Z1", 0, 0); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	it, err := s.GrantItem(a.ID, 0, 77, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.TransferItem(it.ID, b.ID, a.ID, 0); !errors.Is(err, ErrOwnerMismatch) {
		t.Fatalf("transfer from the wrong owner: %v", err)
	}
	if err := s.TransferItem(it.ID, a.ID, 999, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("transfer to nobody: %v", err)
	}
	if err := s.TransferItem(it.ID, a.ID, b.ID, 0); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.Items(b.ID); len(items) != 1 || items[0].ID != it.ID || items[0].Owner != b.ID {
		t.Fatalf("b's items: %+v", items)
	}
	if items, _ := s.Items(a.ID); len(items) != 0 {
		t.Fatalf("a still has %+v", items)
	}
	if err := s.DestroyItem(it.ID, b.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.TransferItem(it.ID, b.ID, a.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("transfer of a destroyed item: %v", err)
	}
	if got, _ := s.Item(it.ID); !got.Destroyed {
		t.Fatal("no tombstone")
	}
	if _, err := s.GrantItem(12345, 0, 1, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("grant to nobody: %v", err)
	}
}

func TestEpochFencing(t *testing.T) {
	s := openTest(t)
	c, _ := s.CreateCharacter("acct", "Fen", "Z1", 0, 0)
	e1, err := s.ClaimCharacter(c.ID, "Z1")
	if err != nil || e1 != 1 {
		t.Fatalf("claim: %d %v", e1, err)
	}
	if err := s.SaveCheckpoint(Checkpoint{ID: c.ID, Epoch: e1, Zone: "Z1", X: 5, Y: 6, Level: 2, Health: 50, PartyLeader: 77, PartyJoined: 78}); err != nil {
		t.Fatal(err)
	}
	e2, _ := s.ClaimCharacter(c.ID, "Z2") // the character moved to zone 2
	if err := s.SaveCheckpoint(Checkpoint{ID: c.ID, Epoch: e1, Zone: "Z1", X: 9, Y: 9}); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("old zone's checkpoint: %v", err)
	}
	if _, err := s.GrantItem(c.ID, e1, 1, 1); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("old zone's grant: %v", err)
	}
	it, err := s.GrantItem(c.ID, e2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.CreateCharacter("acct", "Other", "Z2", 0, 0)
	if err := s.TransferItem(it.ID, c.ID, other.ID, e1); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("old zone's transfer: %v", err)
	}
	got, _ := s.Character(c.ID)
	if got.Zone != "Z2" || got.X != 5 || got.Epoch != e2 || got.PartyLeader != 77 || got.PartyJoined != 78 {
		t.Fatalf("character %+v", got)
	}
}

// TestConcurrentTransfersConserveItems: many goroutines move items among
// characters; every item ends with exactly one owner and the index agrees.
func TestConcurrentTransfersConserveItems(t *testing.T) {
	s := openTest(t)
	var chars []uint64
	for i := 0; i < 50; i++ {
		c, _ := s.CreateCharacter("a", "c"+string(rune('A'+i%26))+string(rune('a'+i/26)), "Z", 0, 0)
		chars = append(chars, c.ID)
	}
	var items []uint64
	for i := 0; i < 200; i++ {
		it, _ := s.GrantItem(chars[i%50], 0, 1, 1)
		items = append(items, it.ID)
	}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < 300; k++ {
				id := items[(g*31+k*7)%len(items)]
				it, err := s.Item(id)
				if err != nil {
					t.Error(err)
					return
				}
				err = s.TransferItem(id, it.Owner, chars[(g+k)%50], 0)
				if err != nil && !errors.Is(err, ErrOwnerMismatch) && !errors.Is(err, ErrInvalid) {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	r, err := s.Check(false)
	if err != nil || r.Problems() != 0 || r.Items != 200 {
		t.Fatalf("after concurrent transfers: %v, %v", r.String(), err)
	}
}

func TestCheckRepairs(t *testing.T) {
	s := openTest(t)
	a, _ := s.CreateCharacter("a", "A", "Z", 0, 0)
	it, _ := s.GrantItem(a.ID, 0, 1, 1)
	it2, _ := s.GrantItem(a.ID, 0, 1, 1)
	// Break things the way a crash in the middle of a write could.
	db := s.Badger()
	db.Update(func(txn *badger.Txn) error {
		txn.Delete(ownedKey(a.ID, it.ID))                             // missing index entry
		txn.Set(ownedKey(777, it2.ID), nil)                           // stale index entry
		txn.Set(itemKey(555), []byte{9, 9, 9})                        // undecodable record
		orphan := Item{ID: 556, Owner: 424242, Template: 1, Count: 1} // owner gone
		txn.Set(itemKey(556), orphan.encode())
		txn.Delete(nameKey("A")) // name index entry missing
		return nil
	})
	var logged bytes.Buffer
	r, err := Check(db, true, func(f string, a ...any) { logged.WriteString(f + "\n") })
	if err != nil {
		t.Fatal(err)
	}
	if r.IndexMissing != 1 || r.IndexStale != 1 || len(r.BadRecords) != 1 || len(r.Orphans) != 1 || r.NamesMissing != 1 || !r.Repaired {
		t.Fatalf("report: %s", r.String())
	}
	if !bytes.Contains(logged.Bytes(), []byte("deleting undecodable record")) {
		t.Fatalf("deletion not logged:\n%s", logged.String())
	}
	again, _ := s.Check(false)
	if again.Problems() != 0 || again.Items != 2 {
		t.Fatalf("after repair: %s", again.String())
	}
}

// TestBackupChainRestoresExactly: a full backup and incrementals restore,
// in order, to the digest the last one recorded; a destroyed item and a
// transfer's old index entry do not come back.
func TestBackupChainRestoresExactly(t *testing.T) {
	s := openTest(t)
	a, _ := s.CreateCharacter("a", "A", "Z", 0, 0)
	b, _ := s.CreateCharacter("b", "B", "Z", 0, 0)
	keep, _ := s.GrantItem(a.ID, 0, 1, 1)
	doomed, _ := s.GrantItem(a.ID, 0, 2, 1)

	var chain [][]byte
	var buf bytes.Buffer
	full, err := s.WriteBackup(&buf, 0)
	if err != nil || full.Since != 0 {
		t.Fatal(full, err)
	}
	chain = append(chain, append([]byte(nil), buf.Bytes()...))

	s.TransferItem(keep.ID, a.ID, b.ID, 0)
	s.DestroyItem(doomed.ID, a.ID, 0)
	s.Badger().Flatten(1) // compaction must not lose the deletions
	buf.Reset()
	inc, err := s.WriteBackup(&buf, full.Version)
	if err != nil || inc.Since != full.Version || inc.Version <= full.Version {
		t.Fatal(inc, err)
	}
	chain = append(chain, append([]byte(nil), buf.Bytes()...))
	s.GrantItem(b.ID, 0, 3, 1)
	buf.Reset()
	inc2, _ := s.WriteBackup(&buf, inc.Version)
	chain = append(chain, append([]byte(nil), buf.Bytes()...))

	// The restore target is a bare badger: a Store would add its own
	// sequence keys to the digest.
	raw, _ := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	defer raw.Close()
	for _, c := range chain {
		if err := Load(raw, bytes.NewReader(c)); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := Digest(raw)
	if d != inc2.Digest {
		t.Fatal("restored chain has another digest than the db at that version")
	}
	r, _ := Check(raw, false, t.Logf)
	if r.Problems() != 0 || r.Items != 2 || r.Destroyed != 1 {
		t.Fatalf("restored store: %s", r.String())
	}
	var live []Item
	raw.View(func(txn *badger.Txn) error {
		it, _ := getItem(txn, doomed.ID)
		live = append(live, it)
		return nil
	})
	if !live[0].Destroyed {
		t.Fatal("a destroyed item came back")
	}

	// An incremental asked from a version that is not the last backup's
	// becomes a full backup.
	buf.Reset()
	if again, _ := s.WriteBackup(&buf, full.Version); again.Since != 0 {
		t.Fatalf("incremental from an old version: since %d", again.Since)
	}
}

func TestReopenAfterCleanAndUncleanStop(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(Config{Dir: dir, Logger: quiet()})
	if !s.WasClean() {
		t.Fatal("a new store counts as clean")
	}
	c, _ := s.CreateCharacter("a", "Keep", "Z", 1, 1)
	s.Close()
	s, _ = Open(Config{Dir: dir, Logger: quiet()})
	if !s.WasClean() {
		t.Fatal("clean stop not seen")
	}
	if got, err := s.Character(c.ID); err != nil || got.Name != "Keep" {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	// Simulate a crash: close badger without the store's clean marker.
	s.db.Close()
	close(s.stop)
	s2, err := Open(Config{Dir: dir, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.WasClean() {
		t.Fatal("unclean stop not seen")
	}
}

func TestRecordsRejectGarbage(t *testing.T) {
	c := Character{ID: 5, Account: "a", Name: "n", Zone: "z", X: 1, Y: 2, Level: 3, Health: 4, Epoch: 9}
	enc := c.encode()
	if got, err := decodeCharacter(enc); err != nil || got != c {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for n := 0; n < len(enc); n++ {
		if _, err := decodeCharacter(enc[:n]); err == nil {
			t.Fatalf("truncated character of %d bytes decoded", n)
		}
	}
	if _, err := decodeCharacter(append(enc, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	// In a party: the place is a tail of the record as it was before
	// parties were saved, which still reads (as in none).
	c.PartyLeader, c.PartyJoined = 77, 78
	partied := c.encode()
	if got, err := decodeCharacter(partied); err != nil || got != c || !bytes.Equal(partied[:len(enc)], enc) {
		t.Fatalf("round trip in a party: %+v %v", got, err)
	}
	for n := len(enc) + 1; n < len(partied); n++ {
		if _, err := decodeCharacter(partied[:n]); err == nil {
			t.Fatalf("a party place of %d bytes decoded", n-len(enc))
		}
	}
	if _, err := decodeCharacter(append(partied, 0)); err == nil {
		t.Fatal("trailing byte after the party place accepted")
	}
	it := Item{ID: 1, Template: 2, Owner: 3, Count: 4}
	if got, err := decodeItem(it.encode()); err != nil || got != it {
		t.Fatal("item round trip")
	}
	if _, err := decodeItem([]byte{2}); err == nil {
		t.Fatal("bad item decoded")
	}
}

func TestAccounts(t *testing.T) {
	s := openTest(t)
	a, err := s.CreateAccount("alice", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccount("alice", "x"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate account: %v", err)
	}
	if _, err := s.CreateAccount("", "x"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty name: %v", err)
	}
	got, err := s.Account("alice")
	if err != nil || got != a {
		t.Fatalf("account %+v %v", got, err)
	}
	if _, err := s.Account("bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
	enc := a.encode()
	for n := 0; n < len(enc); n++ {
		if _, err := decodeAccount(enc[:n]); err == nil {
			t.Fatalf("truncated account of %d bytes decoded", n)
		}
	}
	r, _ := s.Check(false)
	if r.Accounts != 1 || r.Problems() != 0 {
		t.Fatalf("check: %s", r.String())
	}
}

// TestLoadRefusesBadStreams: a backup stream is input from another node;
// a frame claiming more than the cap or more than the stream holds, or
// bytes that are not a backup, give an error, never a crash.
func TestLoadRefusesBadStreams(t *testing.T) {
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	huge := binary.LittleEndian.AppendUint64(nil, 1<<62)
	short := append(binary.LittleEndian.AppendUint64(nil, 100), 1, 2, 3)
	junk := append(binary.LittleEndian.AppendUint64(nil, 8), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	for name, b := range map[string][]byte{"huge frame": huge, "short frame": short, "cut header": {1, 2, 3}, "not protobuf": junk} {
		if err := Load(db, bytes.NewReader(b)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if err := Load(db, bytes.NewReader(nil)); err != nil {
		t.Errorf("an empty stream (nothing changed): %v", err)
	}
}

// TestTradeItems: a trade swaps both sides' items in one transaction,
// fenced by both epochs; when any item is not its giver's, or either side's
// zone no longer holds it, nothing moves. Concurrent trades over the same
// items conserve them.
func TestTradeItems(t *testing.T) {
	s := openTest(t)
	a, _ := s.CreateCharacter("a", "Trader", "Z", 0, 0)
	b, _ := s.CreateCharacter("b", "Buyer", "Z", 0, 0)
	ea, _ := s.ClaimCharacter(a.ID, "Z")
	eb, _ := s.ClaimCharacter(b.ID, "Z")
	x, _ := s.GrantItem(a.ID, ea, 1, 3)
	y, _ := s.GrantItem(b.ID, eb, 2, 1)
	z, _ := s.GrantItem(b.ID, eb, 3, 1)
	owners := func() [3]uint64 {
		var o [3]uint64
		for i, id := range []uint64{x.ID, y.ID, z.ID} {
			it, _ := s.Item(id)
			o[i] = it.Owner
		}
		return o
	}
	if err := s.TradeItems(a.ID, ea, []uint64{x.ID}, b.ID, eb, []uint64{y.ID, x.ID}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an item on both sides: %v", err)
	}
	if err := s.TradeItems(a.ID, ea, []uint64{x.ID, z.ID}, b.ID, eb, []uint64{y.ID}); !errors.Is(err, ErrOwnerMismatch) {
		t.Fatalf("a gives b's item: %v", err)
	}
	if o := owners(); o != [3]uint64{a.ID, b.ID, b.ID} {
		t.Fatalf("a refused trade moved items: %v", o)
	}
	eb2, _ := s.ClaimCharacter(b.ID, "Z2") // b moved on: the old zone's trade is stale
	if err := s.TradeItems(a.ID, ea, []uint64{x.ID}, b.ID, eb, nil); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("trade with b's old epoch: %v", err)
	}
	if err := s.TradeItems(a.ID, ea, []uint64{x.ID}, b.ID, eb2, []uint64{y.ID}); err != nil {
		t.Fatal(err)
	}
	if o := owners(); o != [3]uint64{b.ID, a.ID, b.ID} {
		t.Fatalf("after the trade: %v", o)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < 100; k++ {
				o := owners()
				// Whoever owns x gives it for whatever the other owns of y, z.
				from, to, fe, te := o[0], a.ID, eb2, ea
				if from == a.ID {
					to, fe, te = b.ID, ea, eb2
				}
				var back []uint64
				for i, id := range []uint64{y.ID, z.ID} {
					if o[i+1] == to && (g+k+i)%2 == 0 {
						back = append(back, id)
					}
				}
				err := s.TradeItems(from, fe, []uint64{x.ID}, to, te, back)
				if err != nil && !errors.Is(err, ErrOwnerMismatch) {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	r, err := s.Check(false)
	if err != nil || r.Problems() != 0 || r.Items != 3 {
		t.Fatalf("after concurrent trades: %v, %v", r.String(), err)
	}
}
