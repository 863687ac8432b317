package spatial

// slab hands out slices carved from large chunks, so that the cells' many
// small tables cost an allocation per chunk rather than one each: a zone's
// tick does not allocate when an entity first enters a cell, or when a
// cell holds more entities than ever before. A table that outgrows its
// piece gets a new one twice its size; the old piece is not reused (a
// cell's slot table only grows, so what is left behind is bounded by what
// is in use). Chunks double from 4,096 elements up to 1,048,576, so that
// a small zone stays small and a large one soon stops allocating.
type slab[T any] struct {
	chunk []T
	next  int // elements in the next chunk
}

const (
	slabFirst = 1 << 12
	slabMost  = 1 << 20
)

// take returns an empty slice with room for n elements.
func (s *slab[T]) take(n int) []T {
	if n > slabFirst/4 {
		return make([]T, 0, n) // large tables get their own memory
	}
	if len(s.chunk) < n {
		s.next = min(max(2*s.next, slabFirst), slabMost)
		s.chunk = make([]T, s.next)
	}
	out := s.chunk[:0:n]
	s.chunk = s.chunk[n:]
	return out
}

// grow returns t with room for at least least more elements, copying it
// into a new piece twice its size when it is too full.
func grow[T any](s *slab[T], t []T, least int) []T {
	if cap(t)-len(t) >= least {
		return t
	}
	n := s.take(max(2*cap(t), len(t)+least, 16))
	return append(n, t...)
}

// tickArena hands out the tables of one tick's changes, carved one after
// the other from one array and all taken back at once when the tick's
// changes are cleared: what it holds follows how many entities the
// changed cells hold now, not the most each cell ever held, so it stays
// level while entities roam. Its elements hold no pointers: nothing is
// cleared.
type tickArena[T any] struct {
	buf  []T
	used int
}

// take returns an empty slice with room for exactly n elements (appending
// past them copies, never writes into the next table).
func (a *tickArena[T]) take(n int) []T {
	if a.used+n > len(a.buf) {
		// The tables carved this tick stay valid in the old array.
		a.buf, a.used = make([]T, max(2*len(a.buf), slabFirst, 2*n)), 0
	}
	out := a.buf[a.used : a.used : a.used+n]
	a.used += n
	return out
}

// grow returns t with room for at least least more elements, copying it
// into a new table twice its size when it is too full.
func (a *tickArena[T]) grow(t []T, least int) []T {
	if cap(t)-len(t) >= least {
		return t
	}
	return append(a.take(max(2*cap(t), len(t)+least, 16)), t...)
}

// push appends v to the table *t, from the arena when it is full.
func (a *tickArena[T]) push(t *[]T, v T) { *t = append(a.grow(*t, 1), v) }

// reset takes every table back and makes room for a tick that needs n
// elements (twice that when it has less).
func (a *tickArena[T]) reset(n int) {
	if len(a.buf) < n {
		a.buf = make([]T, 2*n)
	}
	a.used = 0
}
