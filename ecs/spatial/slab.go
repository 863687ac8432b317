package spatial

// slab hands out slices carved from large chunks, so that the cells' many
// small tables cost an allocation per chunk rather than one each: a zone's
// tick does not allocate when an entity first enters a cell, or when a
// cell holds more entities than ever before. A table that outgrows its
// piece gets a new one twice its size; the old piece is not reused (a
// cell's tables only grow, so what is left behind is bounded by what is in
// use). Chunks double from 4,096 elements up to 1,048,576, so that a small
// zone stays small and a large one soon stops allocating.
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
