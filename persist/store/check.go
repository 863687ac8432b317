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
	var r Report
	owners := map[uint64]bool{}      // characters
	names := map[string]uint64{}     // name -> character id
	live := map[[2]uint64]bool{}     // (owner, item) of live items
	index := map[[2]uint64]bool{}    // (owner, item) in the index
	nameIndex := map[string]uint64{} // name index entries
	var bad [][]byte                 // keys of bad records
	items := map[uint64]uint64{}     // live item -> owner
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
			switch k[0] {
			case prefixAccount:
				a, err := decodeAccount(v)
				if err != nil || string(k[1:]) != a.Name {
					r.BadRecords = append(r.BadRecords, fmt.Sprintf("%x=%x", k, v))
					bad = append(bad, k)
					continue
				}
				r.Accounts++
			case prefixCharacter:
				c, err := decodeCharacter(v)
				if err != nil || len(k) != 9 || c.ID != beUint64(k[1:]) {
					r.BadRecords = append(r.BadRecords, fmt.Sprintf("%x=%x", k, v))
					bad = append(bad, k)
					continue
				}
				r.Characters++
				owners[c.ID] = true
				names[c.Name] = c.ID
			case prefixItem:
				i, err := decodeItem(v)
				if err != nil || len(k) != 9 || i.ID != beUint64(k[1:]) {
					r.BadRecords = append(r.BadRecords, fmt.Sprintf("%x=%x", k, v))
					bad = append(bad, k)
					continue
				}
				if i.Destroyed {
					r.Destroyed++
					continue
				}
				r.Items++
				items[i.ID] = i.Owner
			case prefixOwned:
				if len(k) != 17 {
					bad = append(bad, k)
					r.BadRecords = append(r.BadRecords, fmt.Sprintf("%x=%x", k, v))
					continue
				}
				index[[2]uint64{beUint64(k[1:]), beUint64(k[9:])}] = true
			case prefixName:
				if len(v) != 8 {
					bad = append(bad, k)
					r.BadRecords = append(r.BadRecords, fmt.Sprintf("%x=%x", k, v))
					continue
				}
				nameIndex[string(k[1:])] = beUint64(v)
			}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	for id, owner := range items {
		if !owners[owner] {
			r.Orphans = append(r.Orphans, id)
			continue
		}
		live[[2]uint64{owner, id}] = true
	}
	var addIdx, delIdx [][2]uint64
	for k := range live {
		if !index[k] {
			r.IndexMissing++
			addIdx = append(addIdx, k)
		}
	}
	for k := range index {
		if !live[k] {
			r.IndexStale++
			delIdx = append(delIdx, k)
		}
	}
	var addName []string
	var delName []string
	for n, id := range names {
		if nameIndex[n] != id {
			r.NamesMissing++
			addName = append(addName, n)
		}
	}
	for n, id := range nameIndex {
		if names[n] != id {
			r.NamesStale++
			if _, ok := names[n]; !ok {
				delName = append(delName, n)
			}
		}
	}
	if !repair || r.Problems() == 0 {
		return r, nil
	}
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range bad {
		logf("integrity: deleting undecodable record %x", k)
		if err := wb.Delete(k); err != nil {
			return r, err
		}
	}
	for _, id := range r.Orphans {
		logf("integrity: deleting item %d: owner %d does not exist", id, items[id])
		if err := wb.Delete(itemKey(id)); err != nil {
			return r, err
		}
	}
	for _, k := range addIdx {
		if err := wb.Set(ownedKey(k[0], k[1]), nil); err != nil {
			return r, err
		}
	}
	for _, k := range delIdx {
		if err := wb.Delete(ownedKey(k[0], k[1])); err != nil {
			return r, err
		}
	}
	for _, n := range addName {
		if err := wb.Set(nameKey(n), binary.BigEndian.AppendUint64(nil, names[n])); err != nil {
			return r, err
		}
	}
	for _, n := range delName {
		if err := wb.Delete(nameKey(n)); err != nil {
			return r, err
		}
	}
	if err := wb.Flush(); err != nil {
		return r, err
	}
	r.Repaired = true
	return r, nil
}

// Check runs the integrity check on the store.
func (s *Store) Check(repair bool) (Report, error) {
	return Check(s.db, repair, func(f string, a ...any) { s.log.Warn(fmt.Sprintf(f, a...)) })
}

func beUint64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
