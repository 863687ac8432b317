package store

import (
	"encoding/binary"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// Report is what an integrity check found, and what it repaired.
type Report struct {
	Accounts   int `json:"accounts"`
	Characters int `json:"characters"`
	Items      int `json:"items"` // live items
	Destroyed  int `json:"destroyed"`
	// BadRecords are records that did not decode (deleted by a repair).
	BadRecords []string `json:"bad_records,omitempty"`
	// Orphans are live items whose owner does not exist (deleted by a
	// repair: no owner can be guessed).
	Orphans []uint64 `json:"orphans,omitempty"`
	// Index entries missing for a live item, or pointing at no live item
	// of that owner (rebuilt by a repair).
	IndexMissing int `json:"index_missing"`
	IndexStale   int `json:"index_stale"`
	// Name index entries missing or stale (rebuilt by a repair).
	NamesMissing int  `json:"names_missing"`
	NamesStale   int  `json:"names_stale"`
	Repaired     bool `json:"repaired"`
}

// Problems counts what is wrong.
func (r *Report) Problems() int {
	return len(r.BadRecords) + len(r.Orphans) + r.IndexMissing + r.IndexStale + r.NamesMissing + r.NamesStale
}

func (r *Report) String() string {
	return fmt.Sprintf("%d accounts, %d characters, %d items (%d destroyed); %d bad records, %d orphans, index %d missing/%d stale, names %d missing/%d stale",
		r.Accounts, r.Characters, r.Items, r.Destroyed, len(r.BadRecords), len(r.Orphans), r.IndexMissing, r.IndexStale, r.NamesMissing, r.NamesStale)
}

// Check verifies every record and index of db, as Store.Check does; it
// works on any Badger holding a store (a scratch restore, for instance).
// With repair set it applies the first two rungs of the recovery ladder:
// correct what can be corrected (indexes are rebuilt from the records),
// else delete the invalid record, logging its content through logf. An
// error means the store cannot be read: restore it from a backup.
func Check(db *badger.DB, repair bool, logf func(format string, args ...any)) (Report, error) {
	sc := newScan()
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.KeyCopy(nil)
			v, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("read %x: %w", k, err)
			}
			sc.record(k, v)
		}
		return nil
	})
	if err != nil {
		return sc.r, err
	}
	fix := sc.problems()
	if !repair || sc.r.Problems() == 0 {
		return sc.r, nil
	}
	if err := sc.repair(db, fix, logf); err != nil {
		return sc.r, err
	}
	sc.r.Repaired = true
	return sc.r, nil
}

// scan is what a check gathers in one pass over the records.
type scan struct {
	r         Report
	owners    map[uint64]bool    // characters
	names     map[string]uint64  // name -> character id
	index     map[[2]uint64]bool // (owner, item) in the index
	nameIndex map[string]uint64  // name index entries
	items     map[uint64]uint64  // live item -> owner
	bad       [][]byte           // keys of bad records
}

func newScan() *scan {
	return &scan{owners: map[uint64]bool{}, names: map[string]uint64{}, index: map[[2]uint64]bool{},
		nameIndex: map[string]uint64{}, items: map[uint64]uint64{}}
}

func (sc *scan) badRecord(k, v []byte) {
	sc.r.BadRecords = append(sc.r.BadRecords, fmt.Sprintf("%x=%x", k, v))
	sc.bad = append(sc.bad, k)
}

// record takes one key and value.
func (sc *scan) record(k, v []byte) {
	switch k[0] {
	case prefixAccount:
		if a, err := decodeAccount(v); err != nil || string(k[1:]) != a.Name {
			sc.badRecord(k, v)
			return
		}
		sc.r.Accounts++
	case prefixCharacter:
		c, err := decodeCharacter(v)
		if err != nil || len(k) != 9 || c.ID != beUint64(k[1:]) {
			sc.badRecord(k, v)
			return
		}
		sc.r.Characters++
		sc.owners[c.ID] = true
		sc.names[c.Name] = c.ID
	case prefixItem:
		i, err := decodeItem(v)
		if err != nil || len(k) != 9 || i.ID != beUint64(k[1:]) {
			sc.badRecord(k, v)
			return
		}
		if i.Destroyed {
			sc.r.Destroyed++
			return
		}
		sc.r.Items++
		sc.items[i.ID] = i.Owner
	case prefixOwned:
		if len(k) != 17 {
			sc.badRecord(k, v)
			return
		}
		sc.index[[2]uint64{beUint64(k[1:]), beUint64(k[9:])}] = true
	case prefixName:
		if len(v) != 8 {
			sc.badRecord(k, v)
			return
		}
		sc.nameIndex[string(k[1:])] = beUint64(v)
	}
}

// fixes are the index entries a repair adds and deletes.
type fixes struct {
	addIdx, delIdx   [][2]uint64
	addName, delName []string
}

// problems compares the records with their indexes and counts what is
// wrong in the report.
func (sc *scan) problems() fixes {
	var f fixes
	live := map[[2]uint64]bool{} // (owner, item) of live items
	for id, owner := range sc.items {
		if !sc.owners[owner] {
			sc.r.Orphans = append(sc.r.Orphans, id)
			continue
		}
		live[[2]uint64{owner, id}] = true
	}
	for k := range live {
		if !sc.index[k] {
			sc.r.IndexMissing++
			f.addIdx = append(f.addIdx, k)
		}
	}
	for k := range sc.index {
		if !live[k] {
			sc.r.IndexStale++
			f.delIdx = append(f.delIdx, k)
		}
	}
	for n, id := range sc.names {
		if sc.nameIndex[n] != id {
			sc.r.NamesMissing++
			f.addName = append(f.addName, n)
		}
	}
	for n, id := range sc.nameIndex {
		if sc.names[n] != id {
			sc.r.NamesStale++
			if _, ok := sc.names[n]; !ok {
				f.delName = append(f.delName, n)
			}
		}
	}
	return f
}

// repair deletes bad records and orphans and rebuilds the indexes, in one
// write batch.
func (sc *scan) repair(db *badger.DB, f fixes, logf func(format string, args ...any)) error {
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	var ops []func() error
	for _, k := range sc.bad {
		logf("integrity: deleting undecodable record %x", k)
		ops = append(ops, func() error { return wb.Delete(k) })
	}
	for _, id := range sc.r.Orphans {
		logf("integrity: deleting item %d: owner %d does not exist", id, sc.items[id])
		ops = append(ops, func() error { return wb.Delete(itemKey(id)) })
	}
	for _, k := range f.addIdx {
		ops = append(ops, func() error { return wb.Set(ownedKey(k[0], k[1]), nil) })
	}
	for _, k := range f.delIdx {
		ops = append(ops, func() error { return wb.Delete(ownedKey(k[0], k[1])) })
	}
	for _, n := range f.addName {
		ops = append(ops, func() error { return wb.Set(nameKey(n), binary.BigEndian.AppendUint64(nil, sc.names[n])) })
	}
	for _, n := range f.delName {
		ops = append(ops, func() error { return wb.Delete(nameKey(n)) })
	}
	for _, op := range ops {
		if err := op(); err != nil {
			return err
		}
	}
	return wb.Flush()
}

// Check runs the integrity check on the store.
func (s *Store) Check(repair bool) (Report, error) {
	return Check(s.db, repair, func(f string, a ...any) { s.log.Warn(fmt.Sprintf(f, a...)) })
}

func beUint64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
