package dbbench

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/db"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/persist/store"
)

// Config is a bench run; the zero value of a field means its default.
type Config struct {
	Clients    int           // concurrent clients (default 64)
	Duration   time.Duration // of the transfer phase (default 10 s)
	Characters int           // (default 10,000)
	Items      int           // (default 100,000)
	Dir        string        // scratch directory (default: a temporary one)
}

// Result is what a run measured.
type Result struct {
	Clients         int        `json:"clients"`
	Characters      int        `json:"characters"`
	Items           int        `json:"items"`
	Seconds         float64    `json:"seconds"`
	Transfers       int64      `json:"transfers"`
	TransfersPerS   float64    `json:"transfers_per_s"`
	TransferP50Ms   float64    `json:"transfer_p50_ms"`
	TransferP99Ms   float64    `json:"transfer_p99_ms"`
	Errors          int64      `json:"errors"`
	BackupBytes     int64      `json:"backup_bytes"`
	BackupMBPerS    float64    `json:"backup_mb_per_s"` // median of the runs
	BackupMinMax    [2]float64 `json:"backup_mb_per_s_min_max"`
	RestoreMBPerS   float64    `json:"restore_mb_per_s"` // median of the runs
	RestoreMinMax   [2]float64 `json:"restore_mb_per_s_min_max"`
	RestoreVerified bool       `json:"restore_verified"` // every restore had the backup's digest
	Runs            int        `json:"backup_restore_runs"`
	GoVersion       string     `json:"go"`
	CPUs            int        `json:"cpus"`
}

var secret = []byte("gridrealm-db-bench-secret-0123")

// Run runs the bench.
func Run(cfg Config) (Result, error) {
	if cfg.Clients == 0 {
		cfg.Clients = 64
	}
	if cfg.Duration == 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Characters == 0 {
		cfg.Characters = 10000
	}
	if cfg.Items == 0 {
		cfg.Items = 100000
	}
	if cfg.Clients < 1 || cfg.Characters < 2 || cfg.Items < cfg.Clients || cfg.Duration < 0 {
		return Result{}, fmt.Errorf("bench db: need clients >= 1, characters >= 2, items >= clients")
	}
	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "gridrealm-dbbench-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(dir)
		cfg.Dir = dir
	}
	log := slog.New(slog.DiscardHandler)
	db, err := db.Start(db.Config{
		Node:  node.Config{ID: "BENCH-DB", Secret: secret, Listen: "127.0.0.1:0", Admin: "-", Logger: log},
		Store: store.Config{Dir: filepath.Join(cfg.Dir, "db"), Logger: log},
	})
	if err != nil {
		return Result{}, err
	}
	defer db.Stop()
	chars, owners, err := seed(db.Store(), cfg)
	if err != nil {
		return Result{}, err
	}
	client, err := node.New(node.Config{ID: "BENCH-CLIENT", Secret: secret, Admin: "-", Logger: log, Handler: idle{},
		Peers: []node.Peer{{ID: "BENCH-DB", Addr: db.Node().Addr()}}})
	if err != nil {
		return Result{}, err
	}
	if err := client.Start(); err != nil {
		return Result{}, err
	}
	defer client.Stop()
	for !client.Connected("BENCH-DB") {
		time.Sleep(5 * time.Millisecond)
	}
	res := Result{Clients: cfg.Clients, Characters: cfg.Characters, Items: cfg.Items, GoVersion: runtime.Version(), CPUs: runtime.NumCPU()}
	transfers(dbclient.New(client, "BENCH-DB", 10*time.Second), chars, owners, cfg, &res)
	if err := backupRestore(db.Store(), cfg.Dir, &res); err != nil {
		return res, err
	}
	return res, nil
}

// seed creates the characters and items, concurrently, straight on the
// store.
func seed(s *store.Store, cfg Config) ([]uint64, []uint64, error) {
	chars := make([]uint64, cfg.Characters)
	owners := make([]uint64, cfg.Items)
	items := make([]uint64, cfg.Items)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	par := 8
	for g := 0; g < par; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < cfg.Characters; i += par {
				c, err := s.CreateCharacter("bench", fmt.Sprintf("bench-%d", i), "BENCH", 0, 0)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				chars[i] = c.ID
			}
		}(g)
	}
	wg.Wait()
	for g := 0; g < par; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < cfg.Items; i += par {
				it, err := s.GrantItem(chars[i%len(chars)], 0, uint32(i%1000), 1)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				items[i], owners[i] = it.ID, it.Owner
			}
		}(g)
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, nil, fmt.Errorf("bench db: seed: %w", err)
	}
	// owners is indexed like items; the workers need both.
	return chars, append(items, owners...), nil
}

// transfers runs the clients: each owns a share of the items and moves
// them, one request at a time, to random characters until the time is up.
func transfers(c *dbclient.Client, chars, itemsAndOwners []uint64, cfg Config, res *Result) {
	n := len(itemsAndOwners) / 2
	items, owners := itemsAndOwners[:n], itemsAndOwners[n:]
	var ok, failed atomic.Int64
	lat := make([][]float64, cfg.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	for w := 0; w < cfg.Clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for k := w; time.Now().Before(deadline); k += cfg.Clients {
				i := k % n
				i -= i % cfg.Clients
				i += w
				if i >= n {
					continue
				}
				to := chars[rng.IntN(len(chars))]
				if to == owners[i] {
					continue
				}
				t0 := time.Now()
				_, err := c.Sync(codec.DbRequest{Op: wire.DbOpDbTransferItem, Item: items[i], From: owners[i], To: to})
				switch {
				case err == nil:
					owners[i] = to
					ok.Add(1)
					lat[w] = append(lat[w], float64(time.Since(t0).Microseconds())/1000)
				case errors.Is(err, dbclient.ErrOwnerMismatch):
					failed.Add(1)
				default:
					failed.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	all := slices.Concat(lat...)
	slices.Sort(all)
	res.Seconds, res.Transfers, res.Errors = elapsed, ok.Load(), failed.Load()
	res.TransfersPerS = float64(res.Transfers) / elapsed
	if len(all) > 0 {
		res.TransferP50Ms = all[len(all)/2]
		res.TransferP99Ms = all[min(len(all)-1, int(math.Ceil(0.99*float64(len(all))))-1)]
	}
}

// backupRuns is how many times backup and restore are timed: one run of a
// few megabytes is at the mercy of one fsync or one compaction.
const backupRuns = 5

// backupRestore times full backups to a file and their restores into new
// on-disk Badgers, each restore checked against the backup's digest, and
// reports the medians.
func backupRestore(s *store.Store, dir string, res *Result) error {
	var backups, restores []float64
	res.RestoreVerified, res.Runs = true, backupRuns
	for run := 0; run < backupRuns; run++ {
		path := filepath.Join(dir, fmt.Sprintf("full-%d.bak", run))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		t0 := time.Now()
		info, err := s.WriteBackup(f, 0)
		if err == nil {
			err = f.Sync()
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("bench db: backup: %w", err)
		}
		res.BackupBytes = info.Bytes
		backups = append(backups, float64(info.Bytes)/1e6/time.Since(t0).Seconds())

		mbps, ok, err := restore(path, filepath.Join(dir, fmt.Sprintf("restored-%d", run)), info)
		if err != nil {
			return err
		}
		restores = append(restores, mbps)
		res.RestoreVerified = res.RestoreVerified && ok
		os.Remove(path)
	}
	res.BackupMBPerS, res.BackupMinMax = median(backups)
	res.RestoreMBPerS, res.RestoreMinMax = median(restores)
	return nil
}

func restore(path, into string, info store.BackupInfo) (float64, bool, error) {
	target, err := badger.Open(badger.DefaultOptions(into).WithLogger(nil))
	if err != nil {
		return 0, false, err
	}
	defer func() { target.Close(); os.RemoveAll(into) }()
	in, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer in.Close()
	t0 := time.Now()
	if err := store.Load(target, in); err != nil {
		return 0, false, fmt.Errorf("bench db: restore: %w", err)
	}
	if err := target.Sync(); err != nil {
		return 0, false, err
	}
	mbps := float64(info.Bytes) / 1e6 / time.Since(t0).Seconds()
	d, err := store.Digest(target)
	return mbps, err == nil && d == info.Digest, nil
}

func median(v []float64) (float64, [2]float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2], [2]float64{s[0], s[len(s)-1]}
}

// idle is the client node's handler: answers go to their Ask callbacks, and
// nothing else arrives.
type idle struct{}

func (idle) HandleMessage(*node.Node, node.Message) {}
func (idle) HandlePeer(*node.Node, node.PeerEvent)  {}
