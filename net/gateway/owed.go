package gateway

// owedTable holds the priority each entity is owed for changes left out
// of earlier snapshots. Entities are visited in ID order, so a paged table
// with a one-page cache answers almost every lookup without hashing. Pages
// that fall back to all zeros are freed by sweep.
type owedTable struct {
	pages   map[uint32]*owedPage
	lastKey uint32
	last    *owedPage
}

const owedPageSize = 1024

type owedPage [owedPageSize]float32

func (o *owedTable) slot(id uint32) *float32 {
	k := id / owedPageSize
	if o.last == nil || k != o.lastKey {
		if o.pages == nil {
			o.pages = map[uint32]*owedPage{}
		}
		p := o.pages[k]
		if p == nil {
			p = new(owedPage)
			o.pages[k] = p
		}
		o.last, o.lastKey = p, k
	}
	return &o.last[id%owedPageSize]
}

// sweep frees pages that owe nothing, but the one in use: freeing it
// would only have the next lookup allocate it again.
func (o *owedTable) sweep() {
	for k, p := range o.pages {
		if p == o.last {
			continue
		}
		empty := true
		for _, v := range p {
			if v != 0 {
				empty = false
				break
			}
		}
		if empty {
			delete(o.pages, k)
		}
	}
}
