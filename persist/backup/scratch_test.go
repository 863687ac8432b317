package backup

import (
	"bytes"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
)

// TestTheScratchStoreTakesTheLargestRecord: the scratch Badger a backup is
// checked in is small (its open cheap), and still restores a record as
// large as Badger's defaults in memory did (a value just under 1 MB, the
// in-memory bound), with others around it: a backup is not failed for
// its size.
func TestTheScratchStoreTakesTheLargestRecord(t *testing.T) {
	src, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	big := bytes.Repeat([]byte{7}, 1<<20-1024)
	for i := range 12 { // 12 MB: more than one scratch memtable
		if err := src.Update(func(txn *badger.Txn) error { return txn.Set([]byte{'k', byte(i)}, big) }); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := src.Backup(&buf, 0); err != nil {
		t.Fatal(err)
	}
	dst, err := badger.Open(scratchOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.Load(bytes.NewReader(buf.Bytes()), 256); err != nil {
		t.Fatalf("a backup of twelve records of ~1 MB: %v", err)
	}
	for i := range 12 {
		if err := dst.View(func(txn *badger.Txn) error {
			it, err := txn.Get([]byte{'k', byte(i)})
			if err != nil {
				return err
			}
			return it.Value(func(v []byte) error {
				if !bytes.Equal(v, big) {
					t.Fatalf("record %d restored differs", i)
				}
				return nil
			})
		}); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
}
