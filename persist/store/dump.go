package store

import (
	"encoding/json"
	"fmt"
	"io"

	badger "github.com/dgraph-io/badger/v4"
)

// Dump writes every character and every item (with its owner, destroyed
// ones marked) as JSON lines: {"character": {...}} and {"item": {...}}.
func Dump(db *badger.DB, w io.Writer) error {
	enc := json.NewEncoder(w)
	return db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()
			err := item.Value(func(v []byte) error {
				switch k[0] {
				case prefixCharacter:
					c, err := decodeCharacter(v)
					if err != nil {
						return enc.Encode(map[string]string{"bad_record": fmt.Sprintf("%x", k), "error": err.Error()})
					}
					return enc.Encode(map[string]Character{"character": c})
				case prefixItem:
					i, err := decodeItem(v)
					if err != nil {
						return enc.Encode(map[string]string{"bad_record": fmt.Sprintf("%x", k), "error": err.Error()})
					}
					return enc.Encode(map[string]Item{"item": i})
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}
