package gateway

import (
	"bytes"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is a datagram sink that notes what it got and when.
type recorder struct {
	mu   sync.Mutex
	got  [][]byte
	when []time.Time
}

func (r *recorder) OfferDatagram(b []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, bytes.Clone(b))
	r.when = append(r.when, time.Now())
	return false
}

func (r *recorder) snapshot() ([][]byte, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.got...), append([]time.Time(nil), r.when...)
}

// TestPacerSpreadsABatchOverItsTick runs in a synctest bubble: the
// pacer's sleeps take no time and its timings are exact.
func TestPacerSpreadsABatchOverItsTick(t *testing.T) {
	synctest.Test(t, testPacerSpreadsABatchOverItsTick)
}

func testPacerSpreadsABatchOverItsTick(t *testing.T) {
	p := newPacer(nil, nil)
	var r recorder
	const span = 80 * time.Millisecond
	b := p.begin(span)
	for i := range 32 {
		b.add(&r, []byte{byte(i), byte(i), byte(i)})
	}
	p.commit(b)
	p.close() // waits for the batch to be out

	got, when := r.snapshot()
	if len(got) != 32 {
		t.Fatalf("sent %d datagrams, want 32", len(got))
	}
	for i, d := range got {
		if !bytes.Equal(d, []byte{byte(i), byte(i), byte(i)}) {
			t.Fatalf("datagram %d is %v", i, d)
		}
	}
	// 8 groups of 4, one every 80% / 8 of the span: the last starts 7/8
	// of 80% of the span after the first.
	gap := time.Duration(float64(span) * pacedShare / pacedGroups)
	for i, at := range when {
		if want := time.Duration(i/4) * gap; at.Sub(when[0]) != want {
			t.Fatalf("datagram %d went out %v after the first, want %v", i, at.Sub(when[0]), want)
		}
	}
}

func TestPacerFillsOneBatchWhileSendingTheOther(t *testing.T) {
	synctest.Test(t, testPacerFillsOneBatchWhileSendingTheOther)
}

func testPacerFillsOneBatchWhileSendingTheOther(t *testing.T) {
	p := newPacer(nil, nil)
	var r recorder
	const span = 200 * time.Millisecond
	first := p.begin(span)
	first.add(&r, []byte("a"))
	first.add(&r, []byte("b"))
	p.commit(first)

	// The pacer is now spreading "a" and "b" over 160 ms; the next batch is
	// handed out at once and is not the one being sent.
	t0 := time.Now()
	second := p.begin(span)
	if waited := time.Since(t0); waited != 0 {
		t.Fatalf("begin waited %v for the pacer", waited)
	}
	if second == first {
		t.Fatal("begin handed out the batch being sent")
	}
	second.add(&r, []byte("c"))
	p.commit(second) // waits for "b"
	if got, _ := r.snapshot(); len(got) < 2 || string(got[1]) != "b" {
		t.Fatalf("commit handed over a batch before the last one was out: %q", got)
	}
	p.close()
	got, _ := r.snapshot()
	if len(got) != 3 || string(got[0]) != "a" || string(got[1]) != "b" || string(got[2]) != "c" {
		t.Fatalf("sent %q, want a b c", got)
	}
	if p.waited != 1 {
		t.Fatalf("waited counted %d times, want 1", p.waited)
	}
}
