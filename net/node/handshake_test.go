package node

import (
	"bytes"
	"testing"
)

// TestProofBindsEverything: a proof changes with every input, so a proof
// for one link, nonce or resume state cannot be reused for another.
func TestProofBindsEverything(t *testing.T) {
	n, err := New(testConfig("A"))
	if err != nil {
		t.Fatal(err)
	}
	nonce1, nonce2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	base := n.proof("A", "B", 1, 2, nonce1, nonce2, []uint64{1, 2, 3}, []uint64{4, 5, 6})
	variants := [][]byte{
		n.proof("B", "A", 1, 2, nonce1, nonce2, []uint64{1, 2, 3}, []uint64{4, 5, 6}),
		n.proof("A", "B", 9, 2, nonce1, nonce2, []uint64{1, 2, 3}, []uint64{4, 5, 6}),
		n.proof("A", "B", 1, 9, nonce1, nonce2, []uint64{1, 2, 3}, []uint64{4, 5, 6}),
		n.proof("A", "B", 1, 2, nonce2, nonce2, []uint64{1, 2, 3}, []uint64{4, 5, 6}),
		n.proof("A", "B", 1, 2, nonce1, nonce1, []uint64{1, 2, 3}, []uint64{4, 5, 6}),
		n.proof("A", "B", 1, 2, nonce1, nonce2, []uint64{1, 2, 4}, []uint64{4, 5, 6}),
		n.proof("A", "B", 1, 2, nonce1, nonce2, []uint64{1, 2, 3}, []uint64{4, 5}),
		n.proof("AB", "", 1, 2, nonce1, nonce2, []uint64{1, 2, 3}, []uint64{4, 5, 6}),
	}
	for i, v := range variants {
		if bytes.Equal(v, base) {
			t.Errorf("variant %d gives the same proof", i)
		}
	}
	other, _ := New(func() Config { c := testConfig("A"); c.Secret = []byte("a-different-secret-entirely"); return c }())
	if bytes.Equal(other.proof("A", "B", 1, 2, nonce1, nonce2, []uint64{1, 2, 3}, []uint64{4, 5, 6}), base) {
		t.Error("another secret gives the same proof")
	}
}
