package spatial

import "testing"

// Pieces of one chunk never overlap: a table filled to its room does not
// write into its neighbour, and grow keeps what a table held.
func TestSlabPiecesAreIndependent(t *testing.T) {
	var s slab[int]
	tables := make([][]int, 300)
	for round := 0; round < 40; round++ {
		for i := range tables {
			tables[i] = append(grow(&s, tables[i], 1), i*1000+len(tables[i]))
		}
	}
	for i, tb := range tables {
		for k, v := range tb {
			if v != i*1000+k {
				t.Fatalf("table %d[%d] = %d, want %d", i, k, v, i*1000+k)
			}
		}
	}
	big := s.take(slabFirst) // larger than a quarter chunk: its own memory
	if cap(big) != slabFirst || len(big) != 0 {
		t.Fatalf("take(%d): len %d cap %d", slabFirst, len(big), cap(big))
	}
	allocs := testing.AllocsPerRun(100, func() { _ = s.take(16) })
	if allocs >= 1 {
		t.Errorf("take(16) allocates %.2f times a call; chunks should", allocs)
	}
}
