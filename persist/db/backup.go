package db

import (
	"errors"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// ChunkSize is the size of one backup chunk message.
const ChunkSize = 256 << 10

// startBackup streams a backup to the asking node, one at a time: chunks
// as one-way messages, then a DbBackupDone as the answer to the request.
// All are bulk priority, so they arrive in order and after gameplay.
func (d *Node) startBackup(m node.Message, since uint64) {
	select {
	case d.backup <- struct{}{}:
	default:
		d.reply(d.node, m, codec.DbReply{Status: wire.DbStatusBusy, Message: "a backup is already running"}, "DbBackup")
		return
	}
	go func() {
		defer func() { <-d.backup }()
		enc := codec.NewDbEncoder()
		cw := &chunkWriter{d: d, to: m.From, enc: enc}
		info, err := d.store.WriteBackup(cw, since)
		if err == nil {
			err = cw.flush()
		}
		done := codec.DbBackupDone{Status: wire.DbStatusOk, Version: info.Version, Since: info.Since,
			SHA256: info.SHA256[:], Digest: info.Digest[:], Bytes: uint64(info.Bytes)}
		if err != nil {
			done = codec.DbBackupDone{Status: wire.DbStatusFailed, Message: err.Error()}
			d.log.Error("db: backup failed", "peer", m.From, "err", err)
		} else {
			d.log.Info("db: backup sent", "peer", m.From, "since", info.Since, "version", info.Version, "bytes", info.Bytes)
		}
		d.sendBulk(func() error {
			return d.node.Reply(m, node.Out{Kind: kinds.Db, Priority: node.Bulk, Payload: enc.BackupDone(&done)})
		})
	}()
}

// chunkWriter cuts a backup stream into chunk messages.
type chunkWriter struct {
	d   *Node
	to  string
	enc *codec.DbEncoder
	buf []byte
	err error
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), ChunkSize-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == ChunkSize {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 || c.err != nil {
		return c.err
	}
	payload := c.enc.BackupChunk(c.buf)
	c.err = c.d.sendBulk(func() error {
		return c.d.node.Send(c.to, node.Out{Kind: kinds.Db, Priority: node.Bulk, Payload: payload})
	})
	c.buf = c.buf[:0]
	return c.err
}

// sendBulk sends, waiting while the peer's outbox is full: a backup is
// paced by how fast the backup node takes it.
func (d *Node) sendBulk(send func() error) error {
	for {
		err := send()
		if !errors.Is(err, node.ErrOutboxFull) {
			return err
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-d.done:
			return node.ErrStopped
		}
	}
}
