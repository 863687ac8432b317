package gateway

import "testing"

// TestOwedSweep: a sweep frees the pages that owe nothing, keeps those
// that do and the page in use (so that a view whose entities owe nothing
// does not free and allocate it every sweep).
func TestOwedSweep(t *testing.T) {
	var o owedTable
	*o.slot(5) = 1.5              // page 0 owes
	*o.slot(owedPageSize + 7) = 0 // page 1 owes nothing
	*o.slot(3*owedPageSize + 1) = 2
	*o.slot(3*owedPageSize + 1) = 0 // page 3 owed, then paid; it is the page in use
	o.sweep()
	if len(o.pages) != 2 || o.pages[1] != nil || o.pages[0] == nil || o.pages[3] == nil {
		t.Fatalf("after a sweep, pages %v; want 0 and 3", keys(o.pages))
	}
	if *o.slot(owedPageSize + 7) != 0 || *o.slot(5) != 1.5 { // a lookup allocates page 1 again
		t.Fatal("a sweep changed what is owed")
	}
	o.sweep() // page 0 is in use now: pages 1 and 3 go
	if len(o.pages) != 1 || o.pages[0] == nil {
		t.Fatalf("after the second sweep, pages %v; want 0", keys(o.pages))
	}
}

func keys(m map[uint32]*owedPage) (ks []uint32) {
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
