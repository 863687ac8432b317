package gateway

import (
	"math"
	"math/bits"
	"slices"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Entity is an entity as a player sees it: absolute quantized position
// (1/256 m, zone coordinates) and visible state, which change (Held), and
// what is sent once, when it enters view.
type Entity struct {
	Held
	Kind     wire.EntityKind
	Template uint16
	Level    uint8
}

// Held is the part of an entity that changes, all a baseline keeps of it
// (16 bytes, not the 24 of an Entity: less to copy and to keep).
type Held struct {
	ID                           uint32
	X, Y                         int32
	Heading, Health, Anim, Flags uint8
}

func (e *Held) sameState(o *Held) bool {
	return e.Heading == o.Heading && e.Health == o.Health && e.Anim == o.Anim && e.Flags == o.Flags
}

// historyLen is how many snapshots a View remembers, the protocol's bound
// on a baseline's age: a client that acks nothing for this many ticks (1.6
// s at 20 Hz) gets full state again.
const historyLen = codec.SnapshotBaselines

// Record sizes in a snapshot (wire structs) and the cost of a vector.
// alignSlack is room for the padding that aligns the snapshot table's
// 64-bit field, which shifts with the vectors' sizes (measured: up to 8
// bytes; a crowd of 500 bots got 1,208-byte snapshots without it).
const (
	moveSize, stateSize, spawnSize, leaveSize = 8, 8, 16, 4
	vectorCost                                = 8 // length prefix and alignment
	alignSlack                                = 8
)

// View builds one player's snapshots. Not safe for concurrent use, nor
// for use at the same time as another view sharing its Scratch.
type View struct {
	// Self is the player's own entity: its changes go first, so that a
	// player in a crowd sees its own moves at once.
	Self   uint32
	budget int
	seq    uint32
	acked  uint32
	floor  uint32 // snapshots up to it are no baseline (Forget)
	// history[seq % historyLen] is what the client holds after applying
	// snapshot seq: the baseline for a later delta. Sorted by ID.
	history [historyLen]sent
	// spare is room for the next entries in history: the entity buffers
	// of snapshots older than the acked one, which are never a baseline
	// again. Taken last in, first out: the one freed last is warmest in
	// cache. A client that keeps up leaves its view maxSpare (not one per
	// entry of history: 85 KB per player in a crowd); one that acks in
	// bursts, as a client falling behind does, frees as many buffers at a
	// time as it had not acked, and needs as many again before its next
	// ack: its view keeps them, up to history's worth and maxSpare in all
	// (spare and not acked). Those no Build needed over a history's worth
	// of Builds go to the collector (trimSpare).
	spare    [][]Held
	spareLow int    // the fewest spare after a Build took one, since the last trim
	freed    uint32 // every snapshot up to this one has given its room back
	// owed is what entities are owed for changes left out of earlier
	// snapshots: the candidates the last Build left out, with their
	// scores, in ID order. Build reads it along its merge, which goes in
	// ID order too, and remember writes the next (into owedNext). An
	// entity that was no candidate owes nothing: the client has its
	// state, or it is neither in view nor in the client's baseline (if it
	// comes back, it enters afresh). So a view's memory for this follows
	// what it sees, not how far apart the IDs of what it sees lie.
	owed, owedNext []owedEntry
	sc             *Scratch
	// OverBudget counts snapshots that came out larger than the budget
	// (a bug: it must stay 0).
	OverBudget int
}

// Scratch is the working memory of building a snapshot: the candidate
// changes, their order, the snapshot's records and its encoder: 9 KB
// for a crowd of 160. Views built one after another share one (NewView), so
// that it stays in cache while a view keeps only what it must remember:
// its history and what it owes.
type Scratch struct {
	enc   *codec.SnapshotEncoder
	snap  codec.Snapshot
	cands []candidate
	// Made with the candidates of each Build: count[b] is how many are in
	// score bucket b (then, while sorting, where the next one goes), zero
	// again when Build returns.
	count  [scoreBuckets]int32
	enters int     // candidates that enter view
	order  []int32 // candidate indexes by score bucket, ascending
	taken  []uint8 // by candidate index: 1 when sent
	size   int     // bytes the snapshot under construction will take
	open   uint8   // which of its vectors are not empty (1 << vecMoves...)
}

// NewScratch returns working memory for building snapshots.
func NewScratch() *Scratch { return &Scratch{enc: codec.NewSnapshotEncoder()} }

type sent struct {
	seq      uint32
	entities []Held
}

// candidate is one change waiting for room in a snapshot. Candidates are
// made in the merge order of the visible set and the baseline.
type candidate struct {
	score  float32
	id     uint32
	kind   uint8  // changeEnter, changeLeave, changeMove, changeState, changeBoth
	bucket uint16 // scoreBucket(score)
	// Where the merge of the visible set and the baseline was: the index
	// in each (an enter's is the baseline entity after it, a leave's the
	// visible one after it).
	cur, base int32
}

// An enter's score, and a leave's: 2^23, far above what an enter left out
// is owed (its debt grows by its score each time).
const (
	enterScore = 1000
	leaveScore = 1 << 23
)

// Scores are ordered by bucket: 16 per doubling, from 2^-8 to 2^24
// (clamped at both ends), so that one bucket spans 4.4% of score. The top
// bucket is the player's own changes alone: scoreBucket stops one below
// it, where leaves left out, whose debt would reach it, stay
// (TestSelfGoesFirstThroughAWholeChange).
const (
	scoreBuckets    = 512
	selfBucket      = scoreBuckets - 1
	scoreBucketBase = (127 - 8) << 4 // bits>>19 of float32(2^-8): exponent and 4 mantissa bits
)

// scoreBucket returns a positive score's bucket, below selfBucket:
// positive float32 bits order like the floats.
func scoreBucket(score float32) uint16 {
	b := int(math.Float32bits(score)>>19) - scoreBucketBase
	return uint16(min(max(b, 0), selfBucket-1))
}

const (
	changeEnter uint8 = iota
	changeLeave
	changeMove
	changeState
	changeBoth
)

// NewView returns a view with a byte budget per snapshot (DefaultBudget
// when 0) that builds in scratch: shared by views whose Builds never run
// at the same time, as one goroutine's (nil: a scratch of its own). The
// bytes Build returns are valid until the next Build in the same scratch.
func NewView(budget int, scratch *Scratch) *View {
	if budget <= 0 {
		budget = DefaultBudget
	}
	if scratch == nil {
		scratch = NewScratch()
	}
	return &View{budget: budget, sc: scratch}
}

// Ack records the newest snapshot the client has applied.
func (v *View) Ack(seq uint32) {
	if seq > v.acked && seq <= v.seq {
		v.acked = seq
	}
}

// Shown is what the client holds once it has the newest snapshot built,
// sorted by ID (nil before the first).
func (v *View) Shown() []Held {
	if h := &v.history[v.seq%historyLen]; v.seq != 0 && h.seq == v.seq {
		return h.entities
	}
	return nil
}

// Seq returns the last snapshot's sequence.
func (v *View) Seq() uint32 { return v.seq }

// Forget makes the next snapshots full state until the client acks one
// built after now: what the client holds means nothing any more (its zone
// restarted and numbered its entities afresh).
func (v *View) Forget() {
	v.floor = v.seq
	v.owed = v.owed[:0]
}

// baseline returns the acked snapshot's view, or nil for full state.
func (v *View) baseline() (uint32, []Held) {
	if v.acked <= v.floor || v.seq-v.acked >= historyLen {
		return 0, nil
	}
	h := &v.history[v.acked%historyLen]
	if h.seq != v.acked {
		return 0, nil
	}
	return v.acked, h.entities
}

// Build makes the next snapshot from what the player sees now (visible,
// sorted by ID; px, py is the player, 1/256 m). The bytes are valid until
// the next Build in the view's scratch.
//
// Build is one long function on purpose (tools/funclen/allow.txt): it is
// the gateway's hottest path, and its merge loop keeps counts and vectors
// in registers that a split spills (BenchmarkGatewayPlayerDatagram).
func (v *View) Build(visible []Entity, px, py int32, tick uint32, tickUnixMs int64) []byte {
	sc := v.sc
	baseSeq, base := v.baseline()
	v.free()
	v.seq++
	originX, originY := px/256-128, py/256-128 // whole metres: 256 m around the player

	// Every difference between what the client has and what is true, a
	// candidate each, scored and counted by score bucket as it is made.
	// The player's own changes go first; then leaving, above anything an
	// enter can be owed (4 bytes each, they keep what a client holds
	// within what it is shown: with enters first, a view bounded by
	// MaxVisible that changed whole held up to 1.7 times the bound); then
	// entering; then changes by how far the entity moved and how close it
	// is to the player, plus what it is owed. (The loop keeps its counts
	// in locals: in View's fields, each candidate would load and store
	// them all.)
	cands := slices.Grow(sc.cands[:0], len(visible)+len(base))[:len(visible)+len(base)]
	// need is the bytes all their records take; their buckets are in [lo, hi].
	n, enters, need, lo, hi := 0, 0, int32(0), scoreBuckets, -1
	i, j := 0, 0
	owed, oc := v.owed, 0 // what is owed, and the next entry that may be the candidate's
	if len(owed) == 0 {
		owed = owedNone[:]
	}
	for i < len(visible) || j < len(base) {
		c := &cands[n]
		var score float32
		switch {
		case j >= len(base) || (i < len(visible) && visible[i].ID < base[j].ID):
			*c = candidate{kind: changeEnter, id: visible[i].ID, cur: int32(i), base: int32(j)}
			score = enterScore
			enters++
			i++
		case i >= len(visible) || base[j].ID < visible[i].ID:
			*c = candidate{kind: changeLeave, id: base[j].ID, cur: int32(i), base: int32(j)}
			score = leaveScore
			j++
		default:
			cur, old := &visible[i], &base[j]
			moved, changed := cur.X != old.X || cur.Y != old.Y, !cur.sameState(old)
			if !moved && !changed {
				i, j = i+1, j+1
				continue
			}
			kind := changeBoth
			if !changed {
				kind = changeMove
			} else if !moved {
				kind = changeState
			}
			*c = candidate{kind: kind, id: cur.ID, cur: int32(i), base: int32(j)}
			dist := float32(absDiff(cur.X, px)+absDiff(cur.Y, py)) / 256
			score = (1 + float32(absDiff(cur.X, old.X)+absDiff(cur.Y, old.Y))/64) * 32 / (8 + dist)
			if changed {
				score += 4
			}
			i, j = i+1, j+1
		}
		for owed[oc].id < c.id { // entities owed that are no candidates now
			oc++
		}
		// Taken without a branch when the entry is the candidate's (a coin
		// toss in a crowd); never the sentinel.
		hit := b2u32(owed[oc].id == c.id) & b2u32(oc < len(owed)-1)
		score += math.Float32frombits(math.Float32bits(owed[oc].score) & -hit)
		oc += int(hit)
		b := scoreBucket(score)
		if c.id == v.Self && c.id != 0 {
			score, b = math.MaxFloat32, selfBucket
		}
		c.score, c.bucket = score, b
		sc.count[b]++
		need += recordSize[c.kind]
		lo, hi = min(lo, int(b)), max(hi, int(b))
		n++
	}
	sc.cands, sc.enters = cands[:n], enters
	sc.taken = slices.Grow(sc.taken[:0], len(sc.cands))[:len(sc.cands)]
	clear(sc.taken)
	s := &sc.snap
	s.Updates.Reset()
	*s = codec.Snapshot{Seq: v.seq, Baseline: baseSeq, Tick: tick, OriginX: originX, OriginY: originY, TickUnixMs: tickUnixMs, Updates: s.Updates}
	if baseSeq == 0 {
		s.Self = v.Self // full state: it names the player, who may not have its Welcome yet
	}
	sc.size, sc.open = codec.SnapshotOverhead+alignSlack, 0

	// When every change fits (most snapshots, outside crowds), the order
	// does not matter: take them as they come.
	if sc.size+4*vectorCost+int(need) <= v.budget {
		v.fill(nil, visible, originX, originY)
	} else {
		// Most important first: a counting sort by score bucket (stable:
		// ties keep merge order), taken from the top. Filling in this
		// order also keeps its branches predictable: taken, then left out.
		pos := int32(0)
		for b := lo; b <= hi; b++ {
			n := sc.count[b]
			sc.count[b] = pos
			pos += n
		}
		sc.order = slices.Grow(sc.order[:0], len(sc.cands))[:len(sc.cands)]
		for k := range sc.cands {
			b := sc.cands[k].bucket
			sc.order[sc.count[b]] = int32(k)
			sc.count[b]++
		}
		v.fill(sc.order, visible, originX, originY)
	}
	if lo <= hi {
		clear(sc.count[lo : hi+1]) // zero again for the next Build
	}
	out := sc.enc.Encode(s)
	if len(out) > v.budget {
		v.OverBudget++
	}
	v.remember(visible, base)
	return out
}

// fill takes the candidates into the snapshot while their records fit:
// from the last of order (candidate indexes) to the first, or in merge
// order when order is nil; it stops when no record can fit. Moves and
// states, nearly all of a crowd's records, are appended here with the
// vectors and counts in registers. (What those left out are owed is
// written in remember, in ID order.)
func (v *View) fill(order []int32, visible []Entity, originX, originY int32) {
	sc := v.sc
	s := &sc.snap
	moves, states := s.Moves, s.States
	size, open := sc.size, sc.open // in registers, not View's fields, through the loop
	for i := range sc.cands {
		k := i
		if order != nil {
			k = int(order[len(order)-1-i])
		}
		c := &sc.cands[k]
		opens := kindVectors[c.kind] &^ open // the vectors its records would open
		need := int(recordSize[c.kind]) + vectorCost*bits.OnesCount8(opens)
		if size+need > v.budget {
			if v.budget-size < leaveSize { // the smallest record: none fits now
				break
			}
			continue
		}
		if c.kind == changeEnter || c.kind == changeLeave { // rare: a call
			if !v.put(c, visible, originX, originY) {
				continue
			}
		} else { // a move, a state or both: here, with the vectors in registers
			e := &visible[c.cur]
			qx, qy, in := v.rel(e, originX, originY)
			if !in {
				continue
			}
			if c.kind != changeState {
				moves = append(moves, codec.Move{ID: e.ID, X: qx, Y: qy})
			}
			if c.kind != changeMove {
				states = appendState(states, e)
			}
		}
		open |= opens
		size += need
		sc.taken[k] = 1
	}
	s.Moves, s.States = moves, states
	sc.size, sc.open = size, open
}

// recordSize is the bytes a change's records take, by kind.
var recordSize = [...]int32{changeEnter: spawnSize, changeLeave: leaveSize, changeMove: moveSize, changeState: stateSize, changeBoth: moveSize + stateSize}

// Vectors of a snapshot, for the budget: bits of View.open.
const (
	vecMoves = 1 << iota
	vecStates
	vecEnters
	vecLeaves
)

// kindVectors is the vectors a change's records go in, by kind.
var kindVectors = [...]uint8{changeEnter: vecEnters, changeLeave: vecLeaves, changeMove: vecMoves, changeState: vecStates, changeBoth: vecMoves | vecStates}

// put adds an enter's or a leave's record to the snapshot; false if the
// entity is outside the snapshot's frame.
func (v *View) put(c *candidate, visible []Entity, originX, originY int32) bool {
	s := &v.sc.snap
	if c.kind == changeLeave {
		s.Leaves = append(s.Leaves, c.id)
		return true
	}
	e := &visible[c.cur]
	qx, qy, in := v.rel(e, originX, originY)
	if !in {
		return false
	}
	s.Enters = append(s.Enters, codec.Spawn{ID: e.ID, Template: e.Template, X: qx, Y: qy, Kind: e.Kind,
		Heading: e.Heading, Health: e.Health, Anim: e.Anim, Flags: e.Flags, Level: e.Level})
	return true
}

// appendState appends an entity's state record, its fields written in
// place. (As a literal, the record is put together on the stack by four
// byte stores and then copied as one 8-byte load, which the CPU cannot
// forward from those stores: it waits for them to reach the cache. That
// wait was a quarter of a sparse snapshot's build.)
func appendState(states []codec.State, e *Entity) []codec.State {
	states = append(states, codec.State{})
	st := &states[len(states)-1]
	st.ID, st.Heading, st.Health, st.Anim, st.Flags = e.ID, e.Heading, e.Health, e.Anim, e.Flags
	return states
}

// rel returns an entity's position relative to the snapshot's origin.
func (v *View) rel(e *Entity, originX, originY int32) (uint16, uint16, bool) {
	dx, dy := int64(e.X)-int64(originX)*256, int64(e.Y)-int64(originY)*256
	if dx < 0 || dy < 0 || dx > math.MaxUint16 || dy > math.MaxUint16 {
		return 0, 0, false
	}
	return uint16(dx), uint16(dy), true
}

// remember stores what the client holds after this snapshot, the
// baseline with the changes sent applied and the others not, and what
// the changes left out are owed. Between two candidates (in merge order)
// lie entities that did not change, a run of the baseline: copied whole.
func (v *View) remember(visible []Entity, base []Held) {
	sc := v.sc
	// Written by index into room for the worst case, every enter sent:
	// each slot is written before the count says whether it is kept.
	size := len(base) + sc.enters
	var next []Held
	if k := len(v.spare) - 1; k >= 0 {
		next, v.spare = v.spare[k], v.spare[:k]
	}
	v.spareLow = min(v.spareLow, len(v.spare))
	if cap(next) < size { // with room to grow: the next Builds' sizes vary by a few
		next = make([]Held, size, size+size/4)
	}
	next = next[:size]
	// Likewise what is owed: a candidate's entry, kept if it was left out;
	// then the sentinel.
	owed := slices.Grow(v.owedNext[:0], len(sc.cands)+1)[:len(sc.cands)+1]
	n, m := 0, 0
	from := int32(0) // the baseline's next entity not yet copied or replaced
	for k := range sc.cands {
		c := &sc.cands[k]
		if c.base > from {
			n += copy(next[n:], base[from:c.base])
		}
		t := int(sc.taken[k] & 1)
		owed[m] = owedEntry{id: c.id, score: c.score}
		m += 1 - t
		switch c.kind {
		case changeEnter: // kept if sent
			next[n] = visible[c.cur].Held
			n += t
			from = c.base
		case changeLeave: // kept if not sent yet: the client still has it
			next[n] = base[c.base]
			n += 1 - t
			from = c.base + 1
		default:
			// The old state if the change was left out, else the new one
			// (indexed, not branched on: which it is is a coin toss in a
			// crowd).
			next[n] = *[2]*Held{&base[c.base], &visible[c.cur].Held}[t]
			n++
			from = c.base + 1
		}
	}
	n += copy(next[n:], base[from:])
	h := &v.history[v.seq%historyLen]
	if h.entities != nil { // a snapshot never acked, historyLen ago
		v.giveBack(h.entities)
	}
	h.seq, h.entities = v.seq, next[:n]
	owed[m] = owedEntry{id: math.MaxUint32}
	v.owed, v.owedNext = owed[:m+1], v.owed
}

// owedEntry is what one entity is owed: the score of its change left out.
// A list of them ends with a sentinel, ID MaxUint32, above every ID.
type owedEntry struct {
	id    uint32
	score float32
}

// owedNone is the list of a view that has built nothing yet.
var owedNone = [1]owedEntry{{id: math.MaxUint32}}

// b2u32 is 1 for true, 0 for false (a SETcc, no branch).
func b2u32(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// free gives back the room of the snapshots older than the acked one.
func (v *View) free() {
	if v.acked-v.freed > historyLen { // all of history is older than it
		v.freed = v.acked - historyLen
	}
	for ; v.freed+1 < v.acked; v.freed++ {
		h := &v.history[(v.freed+1)%historyLen]
		if h.seq == v.freed+1 && h.entities != nil {
			v.giveBack(h.entities)
			h.entities = nil
		}
	}
	v.trimSpare()
}

// maxSpare is how many entity buffers a view keeps spare beyond those its
// Builds needed lately.
const maxSpare = 2

// giveBack keeps a buffer of history's for the next Builds, while the
// view holds fewer than history's worth and maxSpare (spare and not
// acked).
func (v *View) giveBack(entities []Held) {
	if len(v.spare)+min(int(v.seq-v.acked), historyLen) < historyLen+maxSpare {
		v.spare = append(v.spare, entities[:0])
	}
}

// trimSpare, every historyLen Builds, lets the spare buffers go that no
// Build needed since the last time, but those of a view that keeps up: a
// client that acked in bursts and keeps up again hands back the room it
// needed within two windows (3.2 s at 20 Hz).
func (v *View) trimSpare() {
	if v.seq%historyLen != 0 {
		return
	}
	// spareLow were never taken; a view that keeps up holds maxSpare
	// before a Build takes one, so maxSpare-1 after.
	if unused := v.spareLow - (maxSpare - 1); unused > 0 { // the coldest: at the bottom
		k := copy(v.spare, v.spare[unused:])
		clear(v.spare[k:])
		v.spare = v.spare[:k]
	}
	v.spareLow = len(v.spare)
}

func absDiff(a, b int32) int32 {
	if a > b {
		return a - b
	}
	return b - a
}
