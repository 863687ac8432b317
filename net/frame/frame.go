package frame

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMax is the default largest frame, 1 MiB.
const DefaultMax = 1 << 20

// HeaderSize is the size of the length prefix.
const HeaderSize = 4

// ErrTooLarge is returned for a frame longer than the maximum; the stream
// cannot be resynchronized and must be closed.
var ErrTooLarge = errors.New("frame too large")

// ErrEmpty is returned for a zero-length frame, which no protocol sends.
var ErrEmpty = errors.New("empty frame")

// Reader reads frames from a stream.
type Reader struct {
	r   *bufio.Reader
	max int
	buf []byte
	hdr [HeaderSize]byte
}

// LinkBuffer is the buffer of NewReader and NewWriter: a node link carries
// megabytes a second in frames of kilobytes, and reads and writes it in few
// system calls.
const LinkBuffer = 64 << 10

// NewReader returns a reader that refuses frames over max bytes (DefaultMax
// when max <= 0), with a LinkBuffer buffer.
func NewReader(r io.Reader, max int) *Reader { return NewReaderSize(r, max, LinkBuffer) }

// NewReaderSize is NewReader with a buffer of size bytes. A frame larger
// than the buffer is still read whole (through it, into the frame's own
// memory): a stream of small, rare frames (a player's) needs little buffer,
// and a node serving thousands of streams holds one each.
func NewReaderSize(r io.Reader, max, size int) *Reader {
	if max <= 0 {
		max = DefaultMax
	}
	return &Reader{r: bufio.NewReaderSize(r, size), max: max}
}

// Next returns the next frame. The bytes are valid until the next call. At a
// clean end of stream it returns io.EOF; a stream cut inside a frame gives
// io.ErrUnexpectedEOF.
func (r *Reader) Next() ([]byte, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(r.hdr[:])
	if n == 0 {
		return nil, ErrEmpty
	}
	if uint64(n) > uint64(r.max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, r.max)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n, max(int(n), 2*cap(r.buf)))
	}
	b := r.buf[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// Buffered reports how many bytes are read ahead and not yet returned.
func (r *Reader) Buffered() int { return r.r.Buffered() }

// Writer writes frames to a buffered stream; Flush sends them.
type Writer struct {
	w   *bufio.Writer
	max int
	hdr [HeaderSize]byte
}

// NewWriter returns a writer that refuses frames over max bytes (DefaultMax
// when max <= 0), with a LinkBuffer buffer.
func NewWriter(w io.Writer, max int) *Writer { return NewWriterSize(w, max, LinkBuffer) }

// NewWriterSize is NewWriter with a buffer of size bytes; a frame larger
// than the buffer goes through it to w.
func NewWriterSize(w io.Writer, max, size int) *Writer {
	if max <= 0 {
		max = DefaultMax
	}
	return &Writer{w: bufio.NewWriterSize(w, size), max: max}
}

// Write buffers one frame.
func (w *Writer) Write(b []byte) error {
	if len(b) == 0 {
		return ErrEmpty
	}
	if len(b) > w.max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), w.max)
	}
	binary.LittleEndian.PutUint32(w.hdr[:], uint32(len(b)))
	if _, err := w.w.Write(w.hdr[:]); err != nil {
		return err
	}
	_, err := w.w.Write(b)
	return err
}

// Flush sends what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

// Buffered reports how many bytes wait for Flush.
func (w *Writer) Buffered() int { return w.w.Buffered() }
