package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
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
	live := sha256.New()
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false   // values are small and inline
	opts.AllVersions = since != 0 // deletions only show with all versions
	opts.SinceTs = since
	bw := bufio.NewWriterSize(cw, 1<<20)
	// A full backup visits exactly the live keys: it computes the digest
	// on the way. An incremental needs a pass of its own.
	err := scanParallel(txn, scanRanges(txn), opts, true, func(o *rangeOut) error {
		if since == 0 {
			if _, err := io.Copy(live, &o.pairs); err != nil {
				return err
			}
		}
		_, err := io.Copy(bw, &o.frames)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && since != 0 {
		err = digestParallel(txn, live)
	}
	if err != nil {
		txn.Discard()
		return info, fmt.Errorf("backup: %w", err)
	}
	copy(info.Digest[:], live.Sum(nil))
	info.Bytes = cw.n
	copy(info.SHA256[:], sum.Sum(nil))
	if s.pin != nil {
		s.pin.Discard()
	}
	s.pin, s.pinVersion = txn, info.Version
	return info, nil
}

// listWriter reuses its KVs and buffers from list to list.
type listWriter struct {
	list pb.KVList
	pool []*pb.KV
	size int
	buf  []byte
}

func (l *listWriter) next() *pb.KV {
	n := len(l.list.Kv)
	if n == len(l.pool) {
		l.pool = append(l.pool, &pb.KV{UserMeta: []byte{0}, Meta: []byte{0}})
	}
	kv := l.pool[n]
	l.list.Kv = append(l.list.Kv, kv)
	return kv
}

func (l *listWriter) flush(w io.Writer) error {
	if len(l.list.Kv) == 0 {
		return nil
	}
	var err error
	l.buf, err = proto.MarshalOptions{}.MarshalAppend(l.buf[:0], &l.list)
	if err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(l.buf))); err != nil {
		return err
	}
	_, err = w.Write(l.buf)
	l.list.Kv, l.size = l.list.Kv[:0], 0
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
	if err := digestParallel(txn, h); err != nil {
		return out, err
	}
	copy(out[:], h.Sum(nil))
	return out, nil
}

// MaxBackupFrame bounds one frame of a backup stream (WriteBackup makes
// frames of about 1 MiB).
const MaxBackupFrame = 64 << 20

// ErrCorruptBackup is returned for a backup stream whose framing is wrong.
var ErrCorruptBackup = errors.New("corrupt backup stream")

// Load applies one backup stream to db (a chain is loaded in order: the
// full backup, then each incremental). The stream is untrusted: its frames
// are checked before Badger reads them (Badger allocates whatever length a
// frame claims), and a panic inside Badger's loader becomes an error.
func Load(db *badger.DB, r io.ReadSeeker) (err error) {
	if err := checkFrames(r); err != nil {
		return err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: the loader failed: %v", ErrCorruptBackup, p)
		}
	}()
	if err := db.Load(r, 256); err != nil {
		return fmt.Errorf("load backup: %w", err)
	}
	return nil
}

// checkFrames walks a backup stream's frames (a little-endian uint64
// length, then that many bytes) and checks each fits the cap and the
// stream.
func checkFrames(r io.Reader) error {
	var hdr [8]byte
	for off := int64(0); ; {
		if _, err := io.ReadFull(r, hdr[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("%w: frame header at byte %d: %v", ErrCorruptBackup, off, err)
		}
		n := binary.LittleEndian.Uint64(hdr[:])
		if n > MaxBackupFrame {
			return fmt.Errorf("%w: frame at byte %d claims %d bytes, limit %d", ErrCorruptBackup, off, n, MaxBackupFrame)
		}
		if got, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
			return fmt.Errorf("%w: frame at byte %d: %d of %d bytes", ErrCorruptBackup, off, got, n)
		}
		off += 8 + int64(n)
	}
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
