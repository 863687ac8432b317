package db

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/store"
)

// DB is a running db node.
type Node struct {
	cfg     Config
	node    *node.Node
	store   *store.Store
	log     *slog.Logger
	jobs    chan job
	workers sync.WaitGroup
	done    chan struct{} // closed when stopping: backups give up
	backup  chan struct{} // one backup at a time

	ops     *prometheus.CounterVec
	latency prometheus.Histogram
	granted prometheus.Counter

	stopOnce sync.Once
	stopErr  error
}

type job struct {
	m   node.Message
	req codec.DbRequest
	at  time.Time
}

// Start opens (checking it after an unclean stop) the store and starts the
// node.
func Start(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Node.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.Store.Logger = log
	s, err := openChecked(cfg, log)
	if err != nil {
		return nil, err
	}
	d := &Node{cfg: cfg, store: s, log: log, jobs: make(chan job, cfg.Queue), done: make(chan struct{}), backup: make(chan struct{}, 1)}
	cfg.Node.Handler = d
	cfg.Node.OnDrain = d.drain
	n, err := node.New(cfg.Node)
	if err != nil {
		s.Close()
		return nil, err
	}
	d.node = n
	d.ops = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "db", Name: "operations_total",
		Help: "Db operations by kind and outcome."}, []string{"op", "status"})
	d.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "gridrealm", Subsystem: "db", Name: "operation_seconds",
		Help: "Time from a request's arrival to its commit.", Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14)})
	d.granted = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "db", Name: "item_units_granted_total",
		Help: "Items granted, counting each stack's count: what the live and destroyed items' counts add up to, since this process started on an empty store."})
	n.Metrics().MustRegister(d.ops, d.latency, d.granted, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "db",
		Name: "queue_depth", Help: "Operations waiting for a worker."}, func() float64 { return float64(len(d.jobs)) }))
	d.workers.Add(cfg.Workers)
	for i := 0; i < cfg.Workers; i++ {
		go d.worker()
	}
	if err := n.Start(); err != nil {
		close(d.done)
		s.Close()
		return nil, err
	}
	return d, nil
}

// openChecked opens the store; after an unclean stop it runs the recovery
// ladder before anything is served.
//
// A store that is not there at all (a new disk, a deleted directory) while
// Restore holds backups is restored too: a db that has had data never
// starts empty without a word.
func openChecked(cfg Config, log *slog.Logger) (*store.Store, error) {
	if !cfg.Store.InMemory && cfg.Restore != "" && cfg.RestoreFunc != nil && emptyDir(cfg.Store.Dir) && hasBackups(cfg.Restore) {
		log.Error("db: no store, but backups: restoring the newest verified backup", "dir", cfg.Store.Dir, "backups", cfg.Restore)
		if err := cfg.RestoreFunc(cfg.Restore, cfg.Store.Dir); err != nil {
			return nil, fmt.Errorf("db: no store in %s, and restoring %s failed: %w", cfg.Store.Dir, cfg.Restore, err)
		}
	}
	s, err := store.Open(cfg.Store)
	if err == nil && s.WasClean() {
		return s, nil
	}
	if err == nil {
		start := time.Now()
		var r store.Report
		r, err = s.Check(true)
		if err == nil {
			log.Warn("db: unclean stop, store checked", "report", r.String(), "repaired", r.Repaired, "took", time.Since(start))
			return s, nil
		}
		s.Close()
	}
	if cfg.Restore == "" || cfg.RestoreFunc == nil || cfg.Store.InMemory {
		return nil, fmt.Errorf("db: store %s cannot be used (%v) and no backup to restore from", cfg.Store.Dir, err)
	}
	log.Error("db: store unusable, restoring the newest verified backup", "err", err, "backups", cfg.Restore)
	if rerr := cfg.RestoreFunc(cfg.Restore, cfg.Store.Dir); rerr != nil {
		return nil, fmt.Errorf("db: store unusable (%v) and restore failed: %w", err, rerr)
	}
	return store.Open(cfg.Store)
}

// Node returns the db's node.
func (d *Node) Node() *node.Node { return d.node }

// Store returns the db's store.
func (d *Node) Store() *store.Store { return d.store }

// Stop stops the node (every queued operation is applied and answered
// first) and closes the store cleanly. Calls after the first return its
// result.
func (d *Node) Stop() error {
	d.stopOnce.Do(func() {
		d.node.Stop()
		d.stopErr = d.store.Close()
	})
	return d.stopErr
}

// drain runs inside the node's Stop, once no request can arrive any more:
// the workers finish the queue and their replies go out; a running backup
// gives up.
func (d *Node) drain() {
	close(d.jobs)
	d.workers.Wait()
	close(d.done)
	d.backup <- struct{}{}
}

// HandleMessage decodes a request and queues it; it never blocks.
func (d *Node) HandleMessage(n *node.Node, m node.Message) {
	if m.Kind != kinds.Db {
		d.log.Warn("db: unexpected message kind", "peer", m.From, "kind", m.Kind)
		return
	}
	var msg wire.DbMessage
	if err := codec.DecodeDbMessage(m.Payload, len(m.Payload)+1, &msg); err != nil {
		d.log.Warn("db: bad request", "peer", m.From, "err", err)
		d.reply(n, m, codec.DbReply{Status: wire.DbStatusInvalid, Message: err.Error()}, "bad")
		return
	}
	if msg.BodyType() != wire.DbBodyDbRequest {
		d.log.Warn("db: unexpected message", "peer", m.From, "body", msg.BodyType())
		return
	}
	var w wire.DbRequest
	codec.Member(msg.Body, &w)
	var req codec.DbRequest
	codec.ReadDbRequest(&w, &req)
	if req.Op == wire.DbOpDbBackup {
		d.startBackup(m, req.Since)
		return
	}
	select {
	case d.jobs <- job{m: m, req: req, at: time.Now()}:
	default:
		d.reply(n, m, codec.DbReply{Status: wire.DbStatusBusy, Message: "db queue full"}, req.Op.String())
	}
}

// HandlePeer logs links.
func (d *Node) HandlePeer(_ *node.Node, e node.PeerEvent) {}

func (d *Node) worker() {
	defer d.workers.Done()
	enc := codec.NewDbEncoder()
	for j := range d.jobs {
		rep := d.apply(&j.req)
		d.latency.Observe(time.Since(j.at).Seconds())
		d.ops.WithLabelValues(j.req.Op.String(), rep.Status.String()).Inc()
		if err := d.node.Reply(j.m, node.Out{Kind: kinds.Db, Priority: node.Gameplay, Payload: enc.Reply(&rep)}); err != nil {
			d.log.Warn("db: reply not sent", "peer", j.m.From, "err", err)
		}
	}
}

func (d *Node) reply(n *node.Node, m node.Message, rep codec.DbReply, op string) {
	d.ops.WithLabelValues(op, rep.Status.String()).Inc()
	n.Reply(m, node.Out{Kind: kinds.Db, Priority: node.Gameplay, Payload: codec.NewDbEncoder().Reply(&rep)})
}

// apply runs one operation.
func (d *Node) apply(r *codec.DbRequest) codec.DbReply {
	if r.ExpiresUnixMs != 0 && time.Now().UnixMilli() > r.ExpiresUnixMs {
		return codec.DbReply{Status: wire.DbStatusExpired}
	}
	s := d.store
	var err error
	var rep codec.DbReply
	switch r.Op {
	case wire.DbOpDbCreateCharacter:
		var c store.Character
		c, err = s.CreateCharacter(r.Account, r.Name, r.Zone, r.X, r.Y)
		rep.Character = character(c)
	case wire.DbOpDbFindCharacter:
		var c store.Character
		c, err = s.CharacterByName(r.Name)
		rep.Character = character(c)
	case wire.DbOpDbLoadCharacter:
		var c store.Character
		if c, err = s.Character(r.ID); err == nil {
			rep.Character = character(c)
			var items []store.Item
			items, err = s.Items(r.ID)
			rep.Items = dbItems(items)
		}
	case wire.DbOpDbClaimCharacter:
		rep.Epoch, err = s.ClaimCharacter(r.ID, r.Zone)
	case wire.DbOpDbSaveCheckpoint:
		err = s.SaveCheckpoint(store.Checkpoint{ID: r.ID, Epoch: r.Epoch, Zone: r.Zone, X: r.X, Y: r.Y, Level: r.Level, Health: r.Health,
			PartyLeader: r.PartyLeader, PartyJoined: r.PartyJoined})
	case wire.DbOpDbGrantItem:
		var it store.Item
		it, err = s.GrantItem(r.Owner, r.Epoch, r.Template, r.Count)
		if err == nil {
			d.granted.Add(float64(r.Count))
		}
		rep.Items = dbItems([]store.Item{it})
	case wire.DbOpDbTransferItem:
		err = s.TransferItem(r.Item, r.From, r.To, r.Epoch)
	case wire.DbOpDbDestroyItem:
		err = s.DestroyItem(r.Item, r.Owner, r.Epoch)
	case wire.DbOpDbTradeItems:
		err = s.TradeItems(r.From, r.Epoch, r.FromItems, r.To, r.ToEpoch, r.ToItems)
	case wire.DbOpDbGetItem:
		var it store.Item
		it, err = s.Item(r.ID)
		rep.Items = dbItems([]store.Item{it})
	case wire.DbOpDbListItems:
		var items []store.Item
		items, err = s.Items(r.Owner)
		rep.Items = dbItems(items)
	case wire.DbOpDbCreateAccount, wire.DbOpDbGetAccount:
		rep.Account, err = accountOp(s, r)
	default:
		err = fmt.Errorf("%w: op %s", store.ErrInvalid, r.Op)
	}
	rep.Status = status(err)
	if err != nil {
		rep.Message = err.Error()
		if rep.Status == wire.DbStatusFailed {
			d.log.Error("db: operation failed", "op", r.Op.String(), "err", err)
		}
	}
	return rep
}

// accountOp runs an operation of a login db: accounts live in their own
// db node, apart from any realm's game state (the two have different
// owners, backups and failure domains).
func accountOp(s *store.Store, r *codec.DbRequest) (*codec.DbAccount, error) {
	var a store.Account
	var err error
	if r.Op == wire.DbOpDbCreateAccount {
		a, err = s.CreateAccount(r.Name, r.Hash)
	} else {
		a, err = s.Account(r.Name)
	}
	if err != nil {
		return nil, err
	}
	return &codec.DbAccount{Name: a.Name, Hash: a.Hash, CreatedUnixMs: a.Created.UnixMilli()}, nil
}

func status(err error) wire.DbStatus {
	switch {
	case err == nil:
		return wire.DbStatusOk
	case errors.Is(err, store.ErrNotFound):
		return wire.DbStatusNotFound
	case errors.Is(err, store.ErrOwnerMismatch):
		return wire.DbStatusOwnerMismatch
	case errors.Is(err, store.ErrStaleEpoch):
		return wire.DbStatusStaleEpoch
	case errors.Is(err, store.ErrInvalid):
		return wire.DbStatusInvalid
	case errors.Is(err, store.ErrExists):
		return wire.DbStatusExists
	default:
		return wire.DbStatusFailed
	}
}

func character(c store.Character) *codec.DbCharacter {
	if c.ID == 0 {
		return nil
	}
	return &codec.DbCharacter{ID: c.ID, Account: c.Account, Name: c.Name, Zone: c.Zone, X: c.X, Y: c.Y, Level: c.Level, Health: c.Health, Epoch: c.Epoch,
		PartyLeader: c.PartyLeader, PartyJoined: c.PartyJoined}
}

func dbItems(items []store.Item) []codec.DbItem {
	out := make([]codec.DbItem, 0, len(items))
	for _, it := range items {
		if it.ID == 0 {
			continue
		}
		out = append(out, codec.DbItem{ID: it.ID, Owner: it.Owner, Template: it.Template, Count: it.Count})
	}
	return out
}

// RestoreDir is where the reviver puts the newest verified backup it
// fetched from the backup node for a db whose data directory is dataDir,
// and where `realm db` looks for one when --restore-from is not given.
func RestoreDir(dataDir string) string { return filepath.Clean(dataDir) + ".restore" }

// emptyDir reports whether dir is missing or holds nothing.
func emptyDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	return (err != nil && os.IsNotExist(err)) || (err == nil && len(entries) == 0)
}

// hasBackups reports whether dir holds a backup manifest.
func hasBackups(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "manifest.json"))
	return err == nil
}
