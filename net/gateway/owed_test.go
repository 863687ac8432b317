package gateway

import "testing"

// TestOwedSweep: a sweep frees the pages no lookup touched since the sweep
// before, whatever they hold, and keeps the others as they are (a view
// whose entities owe nothing does not free and allocate its pages every
// sweep).
func TestOwedSweep(t *testing.T) {
	var o owedTable
	*o.slot(5) = 1.5              // page 0 owes
	*o.slot(owedPageSize + 7) = 0 // page 1 owes nothing
	*o.slot(3*owedPageSize + 1) = 2
	o.sweep() // all were looked up
	if len(o.pages) != 3 {
		t.Fatalf("after the first sweep, pages %v; want 0, 1 and 3", keys(o.pages))
	}
	page0, page1 := o.pages[0], o.pages[1]
	*o.slot(owedPageSize + 7) = 0 // page 1 in use, owing nothing
	*o.slot(4) = 0                // page 0 too; page 3 is not looked up
	o.sweep()
	if len(o.pages) != 2 || o.pages[0] != page0 || o.pages[1] != page1 {
		t.Fatalf("after the second sweep, pages %v; want 0 and 1, the same pages", keys(o.pages))
	}
	if *o.slot(5) != 1.5 || *o.slot(owedPageSize + 7) != 0 {
		t.Fatal("a sweep changed what is owed")
	}
	if *o.slot(3*owedPageSize + 1) != 0 { // a new page: what page 3 owed is gone
		t.Fatal("a freed page came back with what it owed")
	}
	o.sweep()
	o.sweep() // nothing looked up since the last
	if len(o.pages) != 0 {
		t.Fatalf("after two sweeps with no lookups, pages %v; want none", keys(o.pages))
	}
}

func keys(m map[uint32]*owedPage) (ks []uint32) {
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
