package spatial

import "math/bits"

// slab hands out the cells' tables: pieces whose room is a power of two,
// carved from large chunks so that the cells' many small tables cost an
// allocation per chunk rather than one each. A table that moves to a piece
// of another size (it outgrew its piece, or emptied three quarters of it)
// gives its old piece back, and the next table that needs a piece of that
// size takes it: while entities roam, cells trade pieces and the chunks
// stop being carved, so a zone's tick does not allocate once it has seen
// its crowds. Chunks double from 4,096 elements up to 1,048,576, so that a
// small zone stays small and a large one soon stops allocating; pieces
// larger than a quarter of the first chunk get their own memory (and are
// traded all the same).
type slab[T any] struct {
	chunk []T
	next  int                // elements in the next chunk
	spare [slabClasses][][]T // pieces given back, by log2 of their room
	// most is how many tables there can be at once: a table holds one
	// piece, so no more pieces of one size are ever given back.
	most int
}

const (
	slabFirst = 1 << 12
	slabMost  = 1 << 20
	// slabClasses covers pieces of up to 65,536 elements: a cell's
	// 65,536 slots, the wire's limit.
	slabClasses = 17
)

// take returns an empty slice whose room is n rounded up to a power of two.
func (s *slab[T]) take(n int) []T {
	n = 1 << bits.Len(uint(max(n, 1)-1))
	if k := bits.Len(uint(n)) - 1; k < slabClasses {
		if l := len(s.spare[k]); l > 0 {
			p := s.spare[k][l-1]
			s.spare[k][l-1] = nil
			s.spare[k] = s.spare[k][:l-1]
			return p
		}
		// The first piece of its size: the list it may be given back to
		// gets room for as many as there can be tables, so that give never
		// allocates. A piece is new only when every piece of its size is
		// in a table.
		if s.spare[k] == nil {
			s.spare[k] = make([][]T, 0, s.most)
		}
	}
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

// give takes back a piece that no table uses any more, for the next take
// of its size. What it held is not cleared: a table writes an element
// before it reads it.
func (s *slab[T]) give(p []T) {
	n := cap(p)
	if n == 0 || n&(n-1) != 0 {
		return // not one of the slab's pieces
	}
	if k := bits.Len(uint(n)) - 1; k < slabClasses && len(s.spare[k]) < cap(s.spare[k]) {
		s.spare[k] = append(s.spare[k], p[:0])
	}
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
