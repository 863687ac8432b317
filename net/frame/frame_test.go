package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestRoundTrip: frames come out as they went in, with the links' buffers
// and with buffers smaller than a frame and than its header (a player
// session's buffer is smaller than its largest message), read a byte at a
// time or as they come.
func TestRoundTrip(t *testing.T) {
	for _, size := range []int{LinkBuffer, 4 << 10, 16} {
		for _, oneByte := range []bool{true, false} {
			var buf bytes.Buffer
			w := NewWriterSize(&buf, 0, size)
			frames := [][]byte{[]byte("a"), bytes.Repeat([]byte("b"), 70000), []byte("c"), bytes.Repeat([]byte("d"), 17)}
			for _, f := range frames {
				if err := w.Write(f); err != nil {
					t.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			var from io.Reader = &buf
			if oneByte {
				from = iotest.OneByteReader(&buf)
			}
			r := NewReaderSize(from, 0, size)
			for i, want := range frames {
				got, err := r.Next()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("buffer %d, one byte %v: frame %d: %d bytes, %v", size, oneByte, i, len(got), err)
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("buffer %d: end: %v", size, err)
			}
		}
	}
}

// countingReader counts what was read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestOversizedFrameRefusedBeforeReading(t *testing.T) {
	// A header claiming 4 GiB, followed by a lot of data: the reader must
	// refuse at the header, without allocating for or reading the body.
	body := append([]byte{0xff, 0xff, 0xff, 0xff}, make([]byte, 1<<20)...)
	cr := &countingReader{r: bytes.NewReader(body)}
	r := NewReader(cr, 1024)
	_, err := r.Next()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	if cap(r.buf) != 0 {
		t.Fatalf("allocated %d bytes for a refused frame", cap(r.buf))
	}
	if err := NewWriter(io.Discard, 4).Write(make([]byte, 5)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("writer: %v", err)
	}
}

func TestTruncatedAndEmpty(t *testing.T) {
	r := NewReader(bytes.NewReader([]byte{10, 0, 0, 0, 1, 2}), 0)
	if _, err := r.Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated: %v", err)
	}
	r = NewReader(bytes.NewReader([]byte{0, 0, 0, 0}), 0)
	if _, err := r.Next(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 7})
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(bytes.NewReader(b), 4096)
		for i := 0; i < 1000; i++ {
			f, err := r.Next()
			if err != nil {
				return
			}
			if len(f) == 0 || len(f) > 4096 {
				t.Fatalf("frame of %d bytes", len(f))
			}
		}
	})
}
