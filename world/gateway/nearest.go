package gateway

import (
	"cmp"
	"slices"
)

// A bound on what a player is shown. A zone may set MaxVisible
// (world.ZoneConfig): a player is then shown the MaxVisible entities
// nearest it among those within its view radius, itself always and its
// party's members (codec.Party) before anyone else. In a
// crowd every player in view of every other costs its gateway a merge over
// the whole crowd per snapshot, and its client as much to apply it: the
// square of the crowd, which a bound makes linear. The entities a player
// is shown now keep their place until they are a third farther than the
// nearest one left out (hysteresis), so that two entities at about the
// same distance do not take turns entering and leaving its view at each
// step either takes.

// keepShown scales the squared distance of an entity the player is shown
// now: 9/16 is 3/4 of the distance, so a newcomer takes its place only
// once it is more than a third nearer.
const keepShownNum, keepShownDen = 9, 16

// nearby is the working memory of choosing what a player is shown; one
// per zone view (g.mu).
type nearby struct {
	keys []uint64 // squared distance (1/16 m) << 32 | index in visible
	keep []bool   // by index in visible
	out  []Entity
}

// nearest returns the limit entities of visible (sorted by ID) nearest
// (px, py), sorted by ID: self always, then the members of party (sorted
// by ID), then the rest, those in shown (sorted by ID: what the player's
// client is shown now) favoured. It returns visible itself when it holds no
// more than limit, or limit is 0. The result is valid until the next call.
func (nb *nearby) nearest(visible []Entity, shown []Held, party []uint32, self uint32, px, py int32, limit int) []Entity {
	if limit <= 0 || len(visible) <= limit {
		return visible
	}
	keys := nb.keys[:0]
	j := 0
	for i := range visible {
		e := &visible[i]
		dx, dy := uint64(absDiff(e.X, px)>>4), uint64(absDiff(e.Y, py)>>4)
		d := min(dx*dx+dy*dy+2, 1<<32-1) // 0 is the player's own, 1 its party's
		for j < len(shown) && shown[j].ID < e.ID {
			j++
		}
		switch {
		case e.ID == self:
			d = 0
		case j < len(shown) && shown[j].ID == e.ID:
			d = max(d*keepShownNum/keepShownDen, 2)
		}
		keys = append(keys, d<<32|uint64(i))
	}
	for _, id := range party {
		if i, ok := slices.BinarySearchFunc(visible, id, func(e Entity, id uint32) int { return cmp.Compare(e.ID, id) }); ok && id != self {
			keys[i] = 1<<32 | uint64(i)
		}
	}
	selectSmallest(keys, limit)
	nb.keep = slices.Grow(nb.keep[:0], len(visible))[:len(visible)]
	clear(nb.keep)
	for _, k := range keys[:limit] {
		nb.keep[uint32(k)] = true
	}
	out := nb.out[:0]
	for i := range visible {
		if nb.keep[i] {
			out = append(out, visible[i])
		}
	}
	nb.keys, nb.out = keys, out
	return out
}

// selectSmallest reorders keys (distinct) so that its k smallest come
// first, in no order: a quickselect, linear on average, with the median
// of three as pivot.
func selectSmallest(keys []uint64, k int) {
	lo, hi := 0, len(keys)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if keys[mid] < keys[lo] {
			keys[mid], keys[lo] = keys[lo], keys[mid]
		}
		if keys[hi] < keys[lo] {
			keys[hi], keys[lo] = keys[lo], keys[hi]
		}
		if keys[hi] < keys[mid] {
			keys[hi], keys[mid] = keys[mid], keys[hi]
		}
		pivot := keys[mid]
		i, j := lo, hi
		for i <= j {
			for keys[i] < pivot {
				i++
			}
			for keys[j] > pivot {
				j--
			}
			if i <= j {
				keys[i], keys[j] = keys[j], keys[i]
				i++
				j--
			}
		}
		// keys[lo..j] <= pivot <= keys[i..hi], and what lies between
		// equals the pivot.
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}
