package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
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
)

// Node is a running backup node.
type Node struct {
	cfg  Config
	node *node.Node
	log  *slog.Logger

	mu       sync.Mutex
	manifest *Manifest
	lastFull time.Time
	inFlight *transfer
	verify   sync.WaitGroup

	stop chan struct{}
	done sync.WaitGroup

	backups  *prometheus.CounterVec
	lastSize prometheus.Gauge
}

// transfer is a backup being received.
type transfer struct {
	f     *os.File
	path  string
	sum   hash.Hash
	bytes int64
	err   error
}

// Start starts the backup node.
func Start(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	m, err := LoadManifest(cfg.Dir)
	if err != nil {
		return nil, err
	}
	b := &Node{cfg: cfg, manifest: m, stop: make(chan struct{})}
	cfg.Node.Handler = b
	b.log = cfg.Node.Logger
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.node, err = node.New(cfg.Node); err != nil {
		return nil, err
	}
	b.backups = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "backup", Name: "backups_total",
		Help: "Backups taken, by kind (full, incremental) and outcome (verified, failed)."}, []string{"kind", "outcome"})
	b.lastSize = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "backup", Name: "last_bytes", Help: "Size of the last backup."})
	b.node.Metrics().MustRegister(b.backups, b.lastSize)
	b.node.HandleAction(NewestPath, b.serveNewest)
	if err := b.node.Start(); err != nil {
		return nil, err
	}
	b.done.Add(1)
	go b.schedule()
	return b, nil
}

// Node returns the backup node's node.
func (b *Node) Node() *node.Node { return b.node }

// Manifest returns a copy of the manifest.
func (b *Node) Manifest() Manifest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Manifest{Entries: append([]Entry(nil), b.manifest.Entries...)}
}

// Stop stops the node after any running verification.
func (b *Node) Stop() {
	close(b.stop)
	b.done.Wait()
	b.node.Stop()
	b.verify.Wait()
	b.mu.Lock()
	if t := b.inFlight; t != nil {
		t.f.Close()
		os.Remove(t.path)
	}
	b.mu.Unlock()
}

func (b *Node) schedule() {
	defer b.done.Done()
	t := time.NewTicker(b.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.Backup(false)
		case <-b.stop:
			return
		}
	}
}

// Backup asks the db for a backup now (full if asked, or if the chain
// needs one) unless one is running. It reports whether one started.
func (b *Node) Backup(full bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inFlight != nil {
		return false
	}
	since := uint64(0)
	if n := len(b.manifest.Entries); n > 0 && !full && time.Since(b.lastFull) < b.cfg.FullEvery {
		if last := b.manifest.Entries[n-1]; last.Verified {
			since = last.Version
		}
	}
	path := filepath.Join(b.cfg.Dir, fmt.Sprintf("incoming-%d.bak", time.Now().UnixNano()))
	f, err := os.Create(path)
	if err != nil {
		b.log.Error("backup: cannot create file", "err", err)
		return false
	}
	b.inFlight = &transfer{f: f, path: path, sum: sha256.New()}
	req := codec.DbRequest{Op: wire.DbOpDbBackup, Since: since}
	payload := codec.NewDbEncoder().Request(&req)
	err = b.node.Ask(b.cfg.DB, node.Out{Kind: kinds.Db, Priority: node.Bulk, Payload: payload}, b.cfg.Timeout, b.finish)
	if err != nil {
		b.inFlight = nil
		f.Close()
		os.Remove(path)
		b.log.Warn("backup: cannot ask the db", "err", err)
		return false
	}
	return true
}

// HandleMessage takes the chunks of a running backup.
func (b *Node) HandleMessage(_ *node.Node, m node.Message) {
	if m.Kind != kinds.Db || m.From != b.cfg.DB {
		return
	}
	var msg wire.DbMessage
	if err := codec.DecodeDbMessage(m.Payload, len(m.Payload)+1, &msg); err != nil || msg.BodyType() != wire.DbBodyDbBackupChunk {
		b.log.Warn("backup: unexpected message from the db", "err", err)
		return
	}
	var c wire.DbBackupChunk
	codec.Member(msg.Body, &c)
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.inFlight
	if t == nil || t.err != nil {
		return
	}
	data := c.DataBytes()
	if _, err := t.f.Write(data); err != nil {
		t.err = err
		return
	}
	t.sum.Write(data)
	t.bytes += int64(len(data))
}

// HandlePeer logs the db's link.
func (b *Node) HandlePeer(_ *node.Node, e node.PeerEvent) {}

// finish closes a backup when the db's DbBackupDone (or a timeout) comes.
func (b *Node) finish(m node.Message, err error) {
	b.mu.Lock()
	t := b.inFlight
	b.inFlight = nil
	b.mu.Unlock()
	if t == nil {
		return
	}
	t.f.Close()
	fail := func(why error) {
		os.Remove(t.path)
		b.backups.WithLabelValues("unknown", "failed").Inc()
		b.log.Error("backup failed", "err", why)
	}
	if err != nil {
		fail(err)
		return
	}
	if t.err != nil {
		fail(t.err)
		return
	}
	var msg wire.DbMessage
	if err := codec.DecodeDbMessage(m.Payload, len(m.Payload)+1, &msg); err != nil || msg.BodyType() != wire.DbBodyDbBackupDone {
		fail(fmt.Errorf("unexpected answer to a backup request: %v", err))
		return
	}
	var wd wire.DbBackupDone
	codec.Member(msg.Body, &wd)
	done := codec.ReadDbBackupDone(&wd)
	if done.Status != wire.DbStatusOk {
		fail(fmt.Errorf("db: %s: %s", done.Status, done.Message))
		return
	}
	sum := t.sum.Sum(nil)
	if hex.EncodeToString(sum) != hex.EncodeToString(done.SHA256) || uint64(t.bytes) != done.Bytes {
		fail(fmt.Errorf("stream damaged in transit: %d bytes with sha256 %x, the db sent %d bytes with %x", t.bytes, sum, done.Bytes, done.SHA256))
		return
	}
	full := done.Since == 0
	if !full && t.bytes == 0 {
		os.Remove(t.path) // nothing changed since the last backup
		return
	}
	kind := "incremental"
	if full {
		kind = "full"
	}
	name := fmt.Sprintf("%s-%020d-%s.bak", time.Now().UTC().Format("20060102T150405.000000000"), done.Version, kind)
	if err := os.Rename(t.path, filepath.Join(b.cfg.Dir, name)); err != nil {
		fail(err)
		return
	}
	e := Entry{File: name, Full: full, Since: done.Since, Version: done.Version, Bytes: t.bytes,
		SHA256: hex.EncodeToString(sum), Digest: hex.EncodeToString(done.Digest), Created: time.Now().UTC()}
	b.mu.Lock()
	b.manifest.Entries = append(b.manifest.Entries, e)
	index := len(b.manifest.Entries) - 1
	if full {
		b.lastFull = time.Now()
	}
	err = b.manifest.Save(b.cfg.Dir)
	b.mu.Unlock()
	if err != nil {
		b.log.Error("backup: manifest not saved", "err", err)
	}
	b.lastSize.Set(float64(t.bytes))
	b.verify.Add(1)
	go b.verifyEntry(index, kind)
}

// verifyEntry verifies a new backup and records the outcome.
func (b *Node) verifyEntry(index int, kind string) {
	defer b.verify.Done()
	b.mu.Lock()
	m := &Manifest{Entries: append([]Entry(nil), b.manifest.Entries...)}
	b.mu.Unlock()
	start := time.Now()
	r, err := VerifyEntry(b.cfg.Dir, m, index)
	b.mu.Lock()
	defer b.mu.Unlock()
	if index >= len(b.manifest.Entries) || b.manifest.Entries[index].File != m.Entries[index].File {
		return // pruned meanwhile
	}
	e := &b.manifest.Entries[index]
	if err != nil {
		e.Problem = err.Error()
		b.backups.WithLabelValues(kind, "failed").Inc()
		b.log.Error("backup does not verify: the next backup starts a new chain", "file", e.File, "err", err)
	} else {
		e.Verified = true
		b.backups.WithLabelValues(kind, "verified").Inc()
		b.log.Info("backup verified", "file", e.File, "version", e.Version, "bytes", e.Bytes, "items", r.Items, "took", time.Since(start))
		for _, f := range b.manifest.prune(b.cfg.Keep) {
			os.Remove(filepath.Join(b.cfg.Dir, f))
		}
	}
	if err := b.manifest.Save(b.cfg.Dir); err != nil {
		b.log.Error("backup: manifest not saved", "err", err)
	}
}

// WaitVerified waits until the manifest has at least n verified entries,
// or the timeout passes: for tools and tests.
func (b *Node) WaitVerified(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		k := 0
		for _, e := range b.manifest.Entries {
			if e.Verified {
				k++
			}
		}
		b.mu.Unlock()
		if k >= n {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
