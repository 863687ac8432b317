package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"google.golang.org/protobuf/proto"
)

// BackupInfo describes one backup stream.
type BackupInfo struct {
	// Since is the version the backup starts after (0: full).
	Since uint64 `json:"since"`
	// Version is the snapshot the backup holds: the Since of the next one.
	Version uint64 `json:"version"`
	Bytes   int64  `json:"bytes"`
	// SHA256 is the hash of the stream's bytes.
	SHA256 [32]byte `json:"-"`
	// Digest is the hash of the live state at Version (see Digest).
	Digest [32]byte `json:"-"`
}

// badger's meta bit for a deletion marker (unexported in badger).
const bitDelete byte = 1

// WriteBackup writes to w the changes after version since, from one
// snapshot, in Badger's backup format (DB.Load reads it), and returns the
// snapshot's version and the digest of its live state.
//
// An incremental backup is only served from the snapshot of the previous
// backup (the pin): the store holds that snapshot open, so that Badger
// cannot compact away a deletion before a backup has recorded it. For any
// other since (a new backup chain, or a restart that lost the pin), the
// backup is full: info.Since is then 0, and the caller must start a chain.
func (s *Store) WriteBackup(w io.Writer, since uint64) (BackupInfo, error) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	if since != 0 && (s.pin == nil || since != s.pinVersion) {
		since = 0
	}
	txn := s.db.NewTransaction(false)
	info := BackupInfo{Since: since, Version: txn.ReadTs()}
	sum := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, sum)}
	if err := writeChanges(txn, since, cw); err != nil {
		txn.Discard()
		return info, err
	}
	d, err := digestTxn(txn)
	if err != nil {
		txn.Discard()
		return info, err
	}
	info.Digest, info.Bytes = d, cw.n
	copy(info.SHA256[:], sum.Sum(nil))
	if s.pin != nil {
		s.pin.Discard()
	}
	s.pin, s.pinVersion = txn, info.Version
	return info, nil
}

// writeChanges writes every version newer than since, deletions included,
// in lists of about 1 MiB.
func writeChanges(txn *badger.Txn, since uint64, w io.Writer) error {
	opts := badger.DefaultIteratorOptions
	opts.AllVersions = true
	opts.SinceTs = since
	it := txn.NewIterator(opts)
	defer it.Close()
	bw := bufio.NewWriterSize(w, 1<<20)
	list := &pb.KVList{}
	size := 0
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		kv := &pb.KV{Key: item.KeyCopy(nil), Version: item.Version(), ExpiresAt: item.ExpiresAt(),
			UserMeta: []byte{item.UserMeta()}, Meta: []byte{0}}
		if item.IsDeletedOrExpired() {
			kv.Meta[0] = bitDelete
		} else {
			v, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("backup: read %x: %w", kv.Key, err)
			}
			kv.Value = v
		}
		list.Kv = append(list.Kv, kv)
		size += len(kv.Key) + len(kv.Value) + 16
		if size >= 1<<20 {
			if err := writeList(list, bw); err != nil {
				return err
			}
			list.Kv, size = list.Kv[:0], 0
		}
	}
	if len(list.Kv) > 0 {
		if err := writeList(list, bw); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeList writes one list as Badger's backup does: a little-endian
// uint64 length, then the list's protobuf bytes.
func writeList(list *pb.KVList, w io.Writer) error {
	buf, err := proto.Marshal(list)
	if err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(buf))); err != nil {
		return err
	}
	_, err = w.Write(buf)
	return err
}

// Digest hashes the live state of db: every key and value, in key order.
// A restored backup chain has the digest its last backup recorded.
func Digest(db *badger.DB) ([32]byte, error) {
	txn := db.NewTransaction(false)
	defer txn.Discard()
	return digestTxn(txn)
}

func digestTxn(txn *badger.Txn) ([32]byte, error) {
	var out [32]byte
	h := sha256.New()
	it := txn.NewIterator(badger.DefaultIteratorOptions)
	defer it.Close()
	var n [8]byte
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		if err := hashKV(h, item, n[:]); err != nil {
			return out, err
		}
	}
	copy(out[:], h.Sum(nil))
	return out, nil
}

func hashKV(h hash.Hash, item *badger.Item, n []byte) error {
	k := item.Key()
	binary.LittleEndian.PutUint64(n, uint64(len(k)))
	h.Write(n)
	h.Write(k)
	return item.Value(func(v []byte) error {
		binary.LittleEndian.PutUint64(n, uint64(len(v)))
		h.Write(n)
		h.Write(v)
		return nil
	})
}

// Load applies one backup stream to db (a chain is loaded in order: the
// full backup, then each incremental).
func Load(db *badger.DB, r io.Reader) error {
	if err := db.Load(r, 256); err != nil {
		return fmt.Errorf("load backup: %w", err)
	}
	return nil
}

// ErrNoPin: an incremental backup was asked of a store that has no backup
// snapshot to continue from.
var ErrNoPin = errors.New("no backup snapshot to continue from")

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
