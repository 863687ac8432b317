package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// prefixAccount keys the login node's accounts: a + name -> Account. A
// login node keeps them in a store of its own, apart from the game state.
const prefixAccount = 'a'

// Account is a player's login: the name and a password hash. The hash is
// opaque here (the login node writes argon2id in PHC form).
type Account struct {
	Name    string    `json:"name"`
	Hash    string    `json:"hash"`
	Created time.Time `json:"created"`
}

func accountKey(name string) []byte { return append([]byte{prefixAccount}, name...) }

func (a *Account) encode() []byte {
	b := make([]byte, 0, 12+len(a.Name)+len(a.Hash))
	b = append(b, formatVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(a.Created.UnixMilli()))
	b = append(b, byte(len(a.Name)))
	b = append(b, a.Name...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(a.Hash)))
	return append(b, a.Hash...)
}

func decodeAccount(b []byte) (Account, error) {
	var a Account
	if len(b) < 10 || b[0] != formatVersion {
		return a, fmt.Errorf("%w: account of %d bytes, version %d", errBadRecord, len(b), first(b))
	}
	a.Created = time.UnixMilli(int64(binary.LittleEndian.Uint64(b[1:]))).UTC()
	n := int(b[9])
	rest := b[10:]
	if len(rest) < n+2 {
		return a, fmt.Errorf("%w: account: truncated name", errBadRecord)
	}
	a.Name, rest = string(rest[:n]), rest[n:]
	h := int(binary.LittleEndian.Uint16(rest))
	if len(rest) != 2+h {
		return a, fmt.Errorf("%w: account %q: hash of %d bytes in %d", errBadRecord, a.Name, h, len(rest)-2)
	}
	a.Hash = string(rest[2:])
	return a, nil
}

// CreateAccount stores a new account; ErrExists if the name is taken.
func (s *Store) CreateAccount(name, hash string) (Account, error) {
	if !validName(name) || len(hash) == 0 || len(hash) > 1024 {
		return Account{}, fmt.Errorf("create account %q: %w: a name of 1..64 printable bytes and a hash are needed", name, ErrInvalid)
	}
	a := Account{Name: name, Hash: hash, Created: time.Now().UTC().Truncate(time.Millisecond)}
	err := s.update(func(txn *badger.Txn) error {
		if _, err := txn.Get(accountKey(name)); err == nil {
			return fmt.Errorf("account %q: %w", name, ErrExists)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		return txn.Set(accountKey(name), a.encode())
	})
	return a, err
}

// Account returns an account.
func (s *Store) Account(name string) (a Account, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(accountKey(name))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("account %q: %w", name, ErrNotFound)
		} else if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			a, err = decodeAccount(v)
			return err
		})
	})
	return a, err
}
