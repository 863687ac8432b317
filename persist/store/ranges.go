package store

import (
	"bytes"
	"encoding/binary"
	"hash"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	badger "github.com/dgraph-io/badger/v4"
)

// keyRange is [start, end) of the key space; a nil end is the end of it.
type keyRange struct{ start, end []byte }

// rangesPerPrefix is how many parts each id-keyed prefix is cut into.
const rangesPerPrefix = 32

// scanRanges cuts the key space into ordered ranges that can be read in
// parallel: each id-keyed prefix into parts by id, up to the highest id the
// sequences handed out (read from the snapshot itself, so a restored copy
// cuts the same ranges).
func scanRanges(txn *badger.Txn) []keyRange {
	maxID := func(key []byte) uint64 {
		item, err := txn.Get(key)
		if err != nil {
			return 0
		}
		var v uint64
		item.Value(func(b []byte) error {
			if len(b) == 8 {
				v = binary.BigEndian.Uint64(b)
			}
			return nil
		})
		return v
	}
	chars, items := maxID(seqCharacter), maxID(seqItem)
	bounds := [][]byte{}
	add := func(prefix byte, max uint64) {
		bounds = append(bounds, []byte{prefix}, []byte{prefix + 1})
		for k := uint64(1); k < rangesPerPrefix && max > 0; k++ {
			bounds = append(bounds, idKey(prefix, max/rangesPerPrefix*k))
		}
	}
	add(prefixCharacter, chars)
	add(prefixItem, items)
	add(prefixOwned, chars)
	bounds = append(bounds, []byte{prefixMeta}, []byte{prefixMeta + 1}, []byte{prefixName}, []byte{prefixName + 1})
	slices.SortFunc(bounds, bytes.Compare)
	bounds = slices.CompactFunc(bounds, bytes.Equal)
	ranges := []keyRange{{start: nil, end: bounds[0]}}
	for i := 0; i+1 < len(bounds); i++ {
		ranges = append(ranges, keyRange{start: bounds[i], end: bounds[i+1]})
	}
	return append(ranges, keyRange{start: bounds[len(bounds)-1]})
}

// rangeOut is what a worker made of one range: backup frames and the
// key/value pairs the digest needs, both in key order.
type rangeOut struct {
	frames, pairs bytes.Buffer
	err           error
}

// scanParallel reads every range with its own iterator on the snapshot,
// a worker per CPU, and hands the outputs to emit strictly in range order,
// holding only a few ranges in memory at once.
func scanParallel(txn *badger.Txn, ranges []keyRange, opts badger.IteratorOptions, withFrames bool, emit func(*rangeOut) error) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	outs := make([]chan *rangeOut, len(ranges))
	for i := range outs {
		outs[i] = make(chan *rangeOut, 1)
	}
	window := make(chan struct{}, workers+2) // ranges in flight
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case window <- struct{}{}:
				case <-stop:
					return
				}
				i := int(next.Add(1) - 1)
				if i >= len(ranges) {
					<-window
					return
				}
				out := &rangeOut{}
				out.err = scanRange(txn, ranges[i], opts, withFrames, out)
				outs[i] <- out
			}
		}()
	}
	var err error
	for i := range ranges {
		out := <-outs[i]
		<-window
		if err == nil {
			if err = out.err; err == nil {
				err = emit(out)
			}
		}
		if err != nil {
			break
		}
	}
	close(stop)
	wg.Wait()
	return err
}

// scanRange writes one range: with AllVersions, only the newest version of
// each key (a deletion as a deletion marker), else only live keys; the
// digest pairs cover live keys only.
func scanRange(txn *badger.Txn, r keyRange, opts badger.IteratorOptions, withFrames bool, out *rangeOut) error {
	it := txn.NewIterator(opts)
	defer it.Close()
	var lw listWriter
	var last []byte
	var n [8]byte
	for it.Seek(r.start); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		if r.end != nil && bytes.Compare(k, r.end) >= 0 {
			break
		}
		if last != nil && bytes.Equal(k, last) {
			continue // an older version of a key already taken
		}
		last = append(last[:0], k...)
		deleted := item.IsDeletedOrExpired()
		var v []byte
		if !deleted {
			var err error
			if v, err = item.ValueCopy(nil); err != nil {
				return err
			}
			binary.LittleEndian.PutUint64(n[:], uint64(len(k)))
			out.pairs.Write(n[:])
			out.pairs.Write(k)
			binary.LittleEndian.PutUint64(n[:], uint64(len(v)))
			out.pairs.Write(n[:])
			out.pairs.Write(v)
		}
		if !withFrames {
			continue
		}
		kv := lw.next()
		kv.Key = append(kv.Key[:0], k...)
		kv.Version, kv.ExpiresAt = item.Version(), item.ExpiresAt()
		kv.UserMeta[0] = item.UserMeta()
		kv.Meta[0], kv.Value = 0, v
		if deleted {
			kv.Meta[0] = bitDelete
		}
		if lw.size += len(k) + len(v) + 16; lw.size >= 1<<20 {
			if err := lw.flush(&out.frames); err != nil {
				return err
			}
		}
	}
	if withFrames {
		return lw.flush(&out.frames)
	}
	return nil
}

// digestParallel hashes the live state of the snapshot, reading in
// parallel, hashing in key order.
func digestParallel(txn *badger.Txn, h hash.Hash) error {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	return scanParallel(txn, scanRanges(txn), opts, false, func(o *rangeOut) error {
		_, err := io.Copy(h, &o.pairs)
		return err
	})
}
