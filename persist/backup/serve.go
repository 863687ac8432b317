package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// NewestPath is the admin action of a backup node that hands out its
// newest verified backup: a POST with the realm's admin token (the backup
// is the whole game's data) answered with a tar stream of a manifest
// listing the chain (the full backup and the incrementals up to it) and
// the chain's files.
const NewestPath = "/backups/newest"

// serveNewest streams the newest verified chain.
func (b *Node) serveNewest(w http.ResponseWriter, _ *http.Request) {
	b.mu.Lock()
	i, err := b.manifest.Latest()
	var chain []Entry
	if err == nil {
		chain, err = b.manifest.Chain(i)
	}
	// Open the files while the manifest holds them: a prune deleting one
	// afterwards leaves the open file readable.
	var files []*os.File
	for _, e := range chain {
		f, ferr := os.Open(filepath.Join(b.cfg.Dir, e.File))
		if ferr != nil {
			err = ferr
			break
		}
		files = append(files, f)
	}
	b.mu.Unlock()
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrNoBackup) {
			status = http.StatusNotFound
		}
		http.Error(w, err.Error(), status)
		return
	}
	m, _ := json.MarshalIndent(Manifest{Entries: chain}, "", "  ")
	w.Header().Set("Content-Type", "application/x-tar")
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: manifestFile, Mode: 0o644, Size: int64(len(m)), ModTime: time.Now()}); err != nil {
		return
	}
	tw.Write(m)
	for k, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: chain[k].File, Mode: 0o644, Size: chain[k].Bytes, ModTime: chain[k].Created}); err != nil {
			return
		}
		if _, err := io.CopyN(tw, f, chain[k].Bytes); err != nil {
			b.log.Warn("backup: sending a backup failed", "file", chain[k].File, "err", err)
			return
		}
	}
	tw.Close()
	b.log.Info("backup: newest verified backup sent", "file", chain[len(chain)-1].File, "version", chain[len(chain)-1].Version)
}

// Fetch gets the newest verified backup from the backup node whose admin
// endpoint is at admin (with the realm's admin token) into dir, replacing
// what dir held once the whole chain has arrived and every file matches
// its SHA-256. It returns the newest entry.
func Fetch(ctx context.Context, admin, token, dir string) (Entry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+admin+NewestPath, nil)
	if err != nil {
		return Entry{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Entry{}, fmt.Errorf("fetch a backup from %s: %w", admin, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return Entry{}, fmt.Errorf("fetch a backup from %s: %s: %s", admin, resp.Status, strings.TrimSpace(string(msg)))
	}
	tmp := dir + ".incoming"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return Entry{}, err
	}
	newest, err := untarChain(resp.Body, tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return Entry{}, fmt.Errorf("fetch a backup from %s: %w", admin, err)
	}
	os.RemoveAll(dir)
	return newest, os.Rename(tmp, dir)
}

// untarChain reads a chain sent by serveNewest into dir: the manifest
// first, then exactly the files it lists, each of its size and SHA-256 (a
// file is never read past the size its manifest entry gives).
func untarChain(r io.Reader, dir string) (Entry, error) {
	tr := tar.NewReader(r)
	h, err := tr.Next()
	if err != nil || h.Name != manifestFile {
		return Entry{}, fmt.Errorf("the stream does not begin with a manifest (%v)", err)
	}
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&m); err != nil {
		return Entry{}, fmt.Errorf("manifest: %w", err)
	}
	if len(m.Entries) == 0 {
		return Entry{}, errors.New("the manifest lists no backup")
	}
	if _, err := m.Chain(len(m.Entries) - 1); err != nil {
		return Entry{}, err
	}
	for _, e := range m.Entries {
		h, err := tr.Next()
		if err != nil {
			return Entry{}, fmt.Errorf("%s: %w", e.File, err)
		}
		if h.Name != e.File || e.File != filepath.Base(e.File) || e.File == "." || e.File == ".." || e.File == manifestFile ||
			h.Typeflag != tar.TypeReg || h.Size != e.Bytes || e.Bytes < 0 {
			return Entry{}, fmt.Errorf("entry %q (%d bytes) where the manifest has %q (%d bytes)", h.Name, h.Size, e.File, e.Bytes)
		}
		if err := receiveFile(filepath.Join(dir, e.File), io.LimitReader(tr, e.Bytes+1), e); err != nil {
			return Entry{}, err
		}
	}
	if _, err := tr.Next(); !errors.Is(err, io.EOF) {
		return Entry{}, errors.New("the stream goes on past the files of its manifest")
	}
	return m.Entries[len(m.Entries)-1], m.Save(dir)
}

// receiveFile writes one backup file, checking its size and SHA-256.
func receiveFile(path string, r io.Reader, e Entry) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", e.File, err)
	case n != e.Bytes:
		return fmt.Errorf("%s: %d bytes, the manifest says %d", e.File, n, e.Bytes)
	case hex.EncodeToString(sum.Sum(nil)) != e.SHA256:
		return fmt.Errorf("%s: its SHA-256 is not the manifest's", e.File)
	}
	return nil
}
