package gateway

// owedTable holds the priority each entity is owed for changes left out
// of earlier snapshots. Entities are visited in ID order, so a paged table
// with a one-page cache answers almost every lookup without hashing. Pages
// no lookup touched between two sweeps are freed: their entities were
// neither in view nor in the client's baseline all that time, so what
// they were owed no longer matters (one that comes back enters afresh).
type owedTable struct {
	pages   map[uint32]*owedPage
	lastKey uint32
	last    *owedPage
}

const owedPageSize = 1024

type owedPage struct {
	owed [owedPageSize]float32
	used bool // looked up since the last sweep
}

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
		p.used = true
		o.last, o.lastKey = p, k
	}
	return &o.last.owed[id%owedPageSize]
}

// sweep frees the pages not looked up since the last sweep.
func (o *owedTable) sweep() {
	for k, p := range o.pages {
		if !p.used {
			delete(o.pages, k)
		}
		p.used = false
	}
	o.last = nil // so that the next lookup marks its page
}
