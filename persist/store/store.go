package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Errors of the operations; test with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrOwnerMismatch = errors.New("owner is not the one expected")
	ErrStaleEpoch    = errors.New("epoch is not the character's current epoch")
	ErrExists        = errors.New("already exists")
	ErrInvalid       = errors.New("invalid request")
)

// Config configures a Store; the zero value of a field means its default.
type Config struct {
	// Dir holds the database; required unless InMemory.
	Dir string
	// InMemory keeps everything in RAM, for tests and scratch restores.
	InMemory bool
	// SyncInterval is how often writes are synced to disk (default
	// DefaultSyncInterval, 1 s):
	// the most a machine crash can lose. Writes are acknowledged before.
	SyncInterval time.Duration
	// BlockCacheMB and IndexCacheMB size Badger's caches so that the
	// working set stays in RAM (defaults DefaultBlockCacheMB, 256, and
	// DefaultIndexCacheMB, 64).
	BlockCacheMB, IndexCacheMB int64
	// Logger receives Badger's warnings and the store's own logs.
	Logger *slog.Logger
}

// Defaults of Config's zero fields.
const (
	DefaultSyncInterval = time.Second
	DefaultBlockCacheMB = 256
	DefaultIndexCacheMB = 64
)

// ErrConfig is wrapped by every configuration error of a store.
var ErrConfig = errors.New("store: invalid config")

// Store is the game state database. Its methods are safe for concurrent
// use: concurrent operations commit together (Badger batches commits),
// each in its own transaction.
type Store struct {
	cfg   Config
	db    *badger.DB
	log   *slog.Logger
	clean bool

	seqMu   sync.Mutex
	charSeq *badger.Sequence
	itemSeq *badger.Sequence

	// pin is the snapshot of the last backup, held open so that Badger
	// keeps every version and deletion after it until the next backup.
	pinMu      sync.Mutex
	pin        *badger.Txn
	pinVersion uint64

	stop chan struct{}
	done sync.WaitGroup
}

// cleanMarker is written by Close and removed by Open: its absence at Open
// means the last run did not stop cleanly.
const cleanMarker = "CLEAN"

// Open opens (or creates) a store.
func Open(cfg Config) (*Store, error) {
	if cfg.SyncInterval < 0 || cfg.BlockCacheMB < 0 || cfg.IndexCacheMB < 0 {
		return nil, fmt.Errorf("%w: SyncInterval, BlockCacheMB and IndexCacheMB must not be negative", ErrConfig)
	}
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = DefaultSyncInterval
	}
	if cfg.BlockCacheMB == 0 {
		cfg.BlockCacheMB = DefaultBlockCacheMB
	}
	if cfg.IndexCacheMB == 0 {
		cfg.IndexCacheMB = DefaultIndexCacheMB
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if !cfg.InMemory && cfg.Dir == "" {
		return nil, fmt.Errorf("%w: Dir is required (or InMemory)", ErrConfig)
	}
	clean := true
	if !cfg.InMemory {
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		_, err := os.Stat(filepath.Join(cfg.Dir, cleanMarker))
		fresh := isEmptyDir(cfg.Dir)
		clean = err == nil || fresh
		os.Remove(filepath.Join(cfg.Dir, cleanMarker))
	}
	opts := badger.DefaultOptions(cfg.Dir).
		WithInMemory(cfg.InMemory).
		WithSyncWrites(false).
		WithBlockCacheSize(cfg.BlockCacheMB << 20).
		WithIndexCacheSize(cfg.IndexCacheMB << 20).
		WithLogger(badgerLogger{cfg.Logger}).
		WithNumVersionsToKeep(1)
	if cfg.InMemory {
		opts = opts.WithDir("").WithValueDir("")
	}
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("store %s: open: %w", cfg.Dir, err)
	}
	s := &Store{cfg: cfg, db: db, log: cfg.Logger, clean: clean, stop: make(chan struct{})}
	if s.charSeq, err = db.GetSequence(seqCharacter, 1000); err == nil {
		s.itemSeq, err = db.GetSequence(seqItem, 10000)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: sequences: %w", cfg.Dir, err)
	}
	if !cfg.InMemory {
		s.done.Add(1)
		go s.syncLoop()
	}
	return s, nil
}

func isEmptyDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) == 0
}

// WasClean reports whether the last run stopped cleanly (or the store is
// new). After an unclean stop, run Check before serving.
func (s *Store) WasClean() bool { return s.clean }

// syncLoop makes the disk catch up with RAM every SyncInterval.
func (s *Store) syncLoop() {
	defer s.done.Done()
	t := time.NewTicker(s.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.db.Sync(); err != nil {
				s.log.Error("store sync failed", "err", err)
			}
		case <-s.stop:
			return
		}
	}
}

// Close syncs and closes the store and marks the stop clean.
func (s *Store) Close() error {
	close(s.stop)
	s.done.Wait()
	s.pinMu.Lock()
	if s.pin != nil {
		s.pin.Discard()
		s.pin = nil
	}
	s.pinMu.Unlock()
	s.charSeq.Release()
	s.itemSeq.Release()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store %s: close: %w", s.cfg.Dir, err)
	}
	if !s.cfg.InMemory {
		return os.WriteFile(filepath.Join(s.cfg.Dir, cleanMarker), []byte("clean\n"), 0o644)
	}
	return nil
}

// Badger returns the underlying database (for backups and tools).
func (s *Store) Badger() *badger.DB { return s.db }

// update runs fn in a read-write transaction, again on a conflict with a
// concurrent transaction: every operation is applied whole or not at all.
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	for attempt := 0; ; attempt++ {
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || attempt >= 64 {
			return err
		}
	}
}

func (s *Store) nextID(seq *badger.Sequence) (uint64, error) {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	id, err := seq.Next()
	return id + 1, err // ids start at 1: 0 means "none"
}

func getCharacter(txn *badger.Txn, id uint64) (Character, error) {
	item, err := txn.Get(characterKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Character{}, fmt.Errorf("character %d: %w", id, ErrNotFound)
	} else if err != nil {
		return Character{}, err
	}
	var c Character
	err = item.Value(func(v []byte) error {
		c, err = decodeCharacter(v)
		return err
	})
	return c, err
}

func getItem(txn *badger.Txn, id uint64) (Item, error) {
	item, err := txn.Get(itemKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Item{}, fmt.Errorf("item %d: %w", id, ErrNotFound)
	} else if err != nil {
		return Item{}, err
	}
	var it Item
	err = item.Value(func(v []byte) error {
		it, err = decodeItem(v)
		return err
	})
	return it, err
}

// fenced checks a write's epoch against the character's (0: an admin
// write, not fenced).
func fenced(c Character, epoch uint64) error {
	if epoch != 0 && epoch != c.Epoch {
		return fmt.Errorf("character %d: epoch %d, current %d: %w", c.ID, epoch, c.Epoch, ErrStaleEpoch)
	}
	return nil
}

// CreateCharacter creates a character with a unique name.
func (s *Store) CreateCharacter(account, name, zone string, x, y float32) (Character, error) {
	if !validName(account) || !validName(name) || len(zone) > 64 {
		return Character{}, fmt.Errorf("create character %q: %w: names are 1..64 printable bytes", name, ErrInvalid)
	}
	id, err := s.nextID(s.charSeq)
	if err != nil {
		return Character{}, err
	}
	c := Character{ID: id, Account: account, Name: name, Zone: zone, X: x, Y: y, Level: 1, Health: 100}
	err = s.update(func(txn *badger.Txn) error {
		if _, err := txn.Get(nameKey(name)); err == nil {
			return fmt.Errorf("character name %q: %w", name, ErrExists)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if err := txn.Set(characterKey(id), c.encode()); err != nil {
			return err
		}
		return txn.Set(nameKey(name), binary.BigEndian.AppendUint64(nil, id))
	})
	return c, err
}

// Character returns a character.
func (s *Store) Character(id uint64) (c Character, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		c, err = getCharacter(txn, id)
		return err
	})
	return c, err
}

// CharacterByName returns the character with a name.
func (s *Store) CharacterByName(name string) (c Character, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(nameKey(name))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("character %q: %w", name, ErrNotFound)
		} else if err != nil {
			return err
		}
		var id uint64
		if err := item.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("%w: name index of %q", errBadRecord, name)
			}
			id = beUint64(v)
			return nil
		}); err != nil {
			return err
		}
		c, err = getCharacter(txn, id)
		return err
	})
	return c, err
}

// ClaimCharacter gives a character to a zone with a new epoch, which every
// later write for it must carry: the zone that held it before is fenced off.
func (s *Store) ClaimCharacter(id uint64, zone string) (epoch uint64, err error) {
	err = s.update(func(txn *badger.Txn) error {
		c, err := getCharacter(txn, id)
		if err != nil {
			return err
		}
		c.Epoch++
		c.Zone = zone
		epoch = c.Epoch
		return txn.Set(characterKey(id), c.encode())
	})
	return epoch, err
}

// Checkpoint is what a zone saves of a character now and then.
type Checkpoint struct {
	ID, Epoch uint64
	Zone      string
	X, Y      float32
	Level     uint16
	Health    int32
	// PartyLeader and PartyJoined are its place in its party (0: none).
	PartyLeader, PartyJoined uint64
}

// SaveCheckpoint saves a character's position, stats and party place, if
// the caller holds its current epoch.
func (s *Store) SaveCheckpoint(cp Checkpoint) error {
	if len(cp.Zone) > 64 {
		return fmt.Errorf("checkpoint of character %d: %w: zone name too long", cp.ID, ErrInvalid)
	}
	return s.update(func(txn *badger.Txn) error {
		c, err := getCharacter(txn, cp.ID)
		if err != nil {
			return err
		}
		if err := fenced(c, cp.Epoch); err != nil {
			return err
		}
		c.Zone, c.X, c.Y, c.Level, c.Health = cp.Zone, cp.X, cp.Y, cp.Level, cp.Health
		c.PartyLeader, c.PartyJoined = cp.PartyLeader, cp.PartyJoined
		return txn.Set(characterKey(c.ID), c.encode())
	})
}

// GrantItem creates an item owned by a character: the only way an item
// comes into being.
func (s *Store) GrantItem(owner, epoch uint64, template, count uint32) (Item, error) {
	if count == 0 {
		return Item{}, fmt.Errorf("grant to %d: %w: count 0", owner, ErrInvalid)
	}
	id, err := s.nextID(s.itemSeq)
	if err != nil {
		return Item{}, err
	}
	it := Item{ID: id, Template: template, Owner: owner, Count: count}
	err = s.update(func(txn *badger.Txn) error {
		c, err := getCharacter(txn, owner)
		if err != nil {
			return err
		}
		if err := fenced(c, epoch); err != nil {
			return err
		}
		if err := txn.Set(itemKey(id), it.encode()); err != nil {
			return err
		}
		return txn.Set(ownedKey(owner, id), nil)
	})
	return it, err
}

// TransferItem sets an item's owner to `to`, if its owner is `from`: one
// operation, never a delete and a create.
func (s *Store) TransferItem(item, from, to, fromEpoch uint64) error {
	if from == to {
		return fmt.Errorf("transfer item %d to its owner: %w", item, ErrInvalid)
	}
	return s.update(func(txn *badger.Txn) error {
		it, err := ownedItem(txn, item, from, fromEpoch)
		if err != nil {
			return err
		}
		if _, err := txn.Get(characterKey(to)); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("transfer item %d to character %d: %w", item, to, ErrNotFound)
		} else if err != nil {
			return err
		}
		it.Owner = to
		if err := txn.Set(itemKey(item), it.encode()); err != nil {
			return err
		}
		if err := txn.Delete(ownedKey(from, item)); err != nil {
			return err
		}
		return txn.Set(ownedKey(to, item), nil)
	})
}

// MaxTradeItems bounds the items each side gives in one trade.
const MaxTradeItems = 16

// TradeItems swaps items between two characters in one transaction:
// aItems go from a to b and bItems from b to a, each side fenced by its
// epoch (the zone holding it). Either every item changes owner or none
// does; never a delete and a create.
func (s *Store) TradeItems(a, aEpoch uint64, aItems []uint64, b, bEpoch uint64, bItems []uint64) error {
	switch {
	case a == b:
		return fmt.Errorf("trade between %d and itself: %w", a, ErrInvalid)
	case len(aItems)+len(bItems) == 0 || len(aItems) > MaxTradeItems || len(bItems) > MaxTradeItems:
		return fmt.Errorf("trade of %d and %d items: %w (1..%d a side, not none at all)", len(aItems), len(bItems), ErrInvalid, MaxTradeItems)
	case aEpoch == 0 || bEpoch == 0:
		return fmt.Errorf("trade without both epochs: %w", ErrInvalid)
	}
	seen := map[uint64]bool{}
	for _, id := range append(append([]uint64(nil), aItems...), bItems...) {
		if seen[id] {
			return fmt.Errorf("trade names item %d twice: %w", id, ErrInvalid)
		}
		seen[id] = true
	}
	return s.update(func(txn *badger.Txn) error {
		move := func(items []uint64, from, fromEpoch, to uint64) error {
			for _, id := range items {
				it, err := ownedItem(txn, id, from, fromEpoch)
				if err != nil {
					return err
				}
				it.Owner = to
				if err := txn.Set(itemKey(id), it.encode()); err != nil {
					return err
				}
				if err := txn.Delete(ownedKey(from, id)); err != nil {
					return err
				}
				if err := txn.Set(ownedKey(to, id), nil); err != nil {
					return err
				}
			}
			return nil
		}
		// Both sides are fenced even when one gives nothing: a trade with a
		// character another zone now holds does not happen.
		for _, c := range []struct{ id, epoch uint64 }{{a, aEpoch}, {b, bEpoch}} {
			ch, err := getCharacter(txn, c.id)
			if err != nil {
				return err
			}
			if err := fenced(ch, c.epoch); err != nil {
				return err
			}
		}
		if err := move(aItems, a, aEpoch, b); err != nil {
			return err
		}
		return move(bItems, b, bEpoch, a)
	})
}

// ownedItem returns a live item if owner holds it, and owner's zone holds
// the epoch (0: unfenced).
func ownedItem(txn *badger.Txn, item, owner, epoch uint64) (Item, error) {
	it, err := getItem(txn, item)
	if err != nil {
		return it, err
	}
	if it.Destroyed {
		return it, fmt.Errorf("item %d: %w (destroyed)", item, ErrNotFound)
	}
	if it.Owner != owner {
		return it, fmt.Errorf("item %d belongs to %d, not %d: %w", item, it.Owner, owner, ErrOwnerMismatch)
	}
	if epoch != 0 {
		c, err := getCharacter(txn, owner)
		if err != nil {
			return it, err
		}
		if err := fenced(c, epoch); err != nil {
			return it, err
		}
	}
	return it, nil
}

// DestroyItem destroys an item its owner holds: the only way an item goes.
func (s *Store) DestroyItem(item, owner, epoch uint64) error {
	return s.update(func(txn *badger.Txn) error {
		it, err := ownedItem(txn, item, owner, epoch)
		if err != nil {
			return err
		}
		it.Destroyed = true
		if err := txn.Set(itemKey(item), it.encode()); err != nil {
			return err
		}
		return txn.Delete(ownedKey(owner, item))
	})
}

// Item returns an item (destroyed ones too, marked).
func (s *Store) Item(id uint64) (it Item, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		it, err = getItem(txn, id)
		return err
	})
	return it, err
}

// Items returns the items a character owns.
func (s *Store) Items(owner uint64) ([]Item, error) {
	var out []Item
	err := s.db.View(func(txn *badger.Txn) error {
		prefix := idKey(prefixOwned, owner)
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			id := beUint64(k[9:])
			item, err := getItem(txn, id)
			if err != nil {
				return err
			}
			out = append(out, item)
		}
		return nil
	})
	return out, err
}

// badgerLogger sends Badger's logs to slog; its chatty info goes to debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error("badger: " + trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn("badger: " + trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug("badger: " + trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.l.Debug("badger: " + trim(fmt.Sprintf(f, a...))) }

func trim(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
