package login

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/persist/store"
)

// accounts is where a login node finds accounts: a login db node that
// every login node shares (any of them can log any player in, and either
// can die), or a store of its own (one login node, tests).
//
// Errors: store.ErrNotFound for an unknown account, store.ErrExists for a
// taken name, store.ErrInvalid for a bad name or hash; anything else means
// the accounts cannot be reached now.
type accounts interface {
	Account(name string) (store.Account, error)
	CreateAccount(name, hash string) error
	Close() error
}

// localAccounts is a store the login node opens itself.
type localAccounts struct{ s *store.Store }

func (l localAccounts) Account(name string) (store.Account, error) { return l.s.Account(name) }
func (l localAccounts) CreateAccount(name, hash string) error {
	_, err := l.s.CreateAccount(name, hash)
	return err
}
func (l localAccounts) Close() error { return l.s.Close() }

// accountDB is a login db node: a db node that keeps only accounts, with
// its own backup node.
type accountDB struct{ c *dbclient.Client }

func newAccountDB(n *node.Node, id string) accountDB {
	return accountDB{c: dbclient.New(n, id, 3*time.Second)}
}

func (a accountDB) Account(name string) (store.Account, error) {
	rep, err := a.c.Sync(codec.DbRequest{Op: wire.DbOpDbGetAccount, Name: name})
	if err != nil {
		return store.Account{}, storeError(name, err)
	}
	if rep.Account == nil {
		return store.Account{}, fmt.Errorf("account %q: the login db answered without it", name)
	}
	return store.Account{Name: rep.Account.Name, Hash: rep.Account.Hash,
		Created: time.UnixMilli(rep.Account.CreatedUnixMs).UTC()}, nil
}

func (a accountDB) CreateAccount(name, hash string) error {
	_, err := a.c.Sync(codec.DbRequest{Op: wire.DbOpDbCreateAccount, Name: name, Hash: hash})
	return storeError(name, err)
}

func (accountDB) Close() error { return nil }

// storeError gives a login db's answer the store's sentinel errors.
func storeError(name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dbclient.ErrNotFound):
		return fmt.Errorf("account %q: %w", name, store.ErrNotFound)
	case errors.Is(err, dbclient.ErrExists):
		return fmt.Errorf("account %q: %w", name, store.ErrExists)
	case errors.Is(err, dbclient.ErrInvalid):
		return fmt.Errorf("account %q: %w: %v", name, store.ErrInvalid, err)
	}
	return fmt.Errorf("login db: %w", err)
}
