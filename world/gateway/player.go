package gateway

import (
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
)

// player is one connected player.
// playerKey names a player on a gateway: character ids are a realm's own,
// and a gateway every realm shares holds players of several.
type playerKey struct {
	realm     string // the realm node
	character uint64
}

func (p *player) key() playerKey { return playerKey{p.realm, p.character} }

type player struct {
	s         *pquic.Session
	character uint64
	netID     uint32
	zone      string
	zv        atomic.Pointer[zoneView] // the view of zone (its input goroutine reads it without g.mu)
	realm     string                   // its realm's node
	kicked    atomic.Bool              // an operator made it leave: it may not resume
	view      *View
	cells     []uint32 // the cells it watches
	centre    uint64   // the cell they are around: cy<<32 | cx
	ack       atomic.Uint32
	input     atomic.Pointer[codec.Input]
	px, py    int32         // last known position, 1/256 m (main loop)
	auth      atomic.Uint64 // the same, packed, for the input goroutine
	shown     shownRing     // where its recent snapshots showed it
	party     []uint32      // its party's entities, sorted, as its zone last said (main loop)
	place     partyPlace    // its place in its party, as its zone last said (g.mu; zoneback.go)
	blind     int           // snapshots in a row that did not show it itself (main loop)
	sent      atomic.Uint32 // the newest snapshot's seq sent to it
	lastSnap  uint32        // the zone tick of its last snapshot (main loop; shed.go)
	arriving  bool          // entered into zone (a handoff, a restart), its Welcome not queued yet: its events wait (early.go; g.mu)
	replaying bool          // resumed, what it missed not replayed yet: its zone's newer events wait (replay.go; g.mu)
	selfWait  uint8         // passes its snapshot may still wait for its own entity to be mirrored (tick.go; g.mu)
	// behind is how many snapshots older than the newest sent the one its
	// last input acknowledged was, when that input came (load.go).
	behind   atomic.Uint32
	events   chan []byte // the zone's events, for writeEvents
	stalled  atomic.Bool // its event queue overflowed: being disconnected
	replaced atomic.Bool // a newer connection of its character took over
	resume   []byte      // its resume token, told again in a new Welcome
	account  string      // its account, reported to a realm node that restarted

	// Budgets: inputs on the input goroutine, the rest on the stream's.
	inputs, chat, other *budget

	// Move validation, on the input goroutine.
	violations  float64
	lastDecay   time.Time
	lastCorrect time.Time
	// Corrections counts the corrections sent.
	Corrections atomic.Int64
}

// shownRing remembers where the player's last 64 snapshots (3.2 s) showed
// it, by sequence: the main loop writes, the input goroutine reads. A
// client without prediction claims the position of the snapshot it
// acknowledges, which under load lags the authoritative one by its round
// trip.
type shownRing struct {
	seq [64]atomic.Uint32
	pos [64]atomic.Uint64
}

func (r *shownRing) put(seq uint32, x, y int32) {
	i := seq % 64
	r.seq[i].Store(0) // readers of the old entry see it change
	r.pos[i].Store(pack(x, y))
	r.seq[i].Store(seq)
}

// lastShown returns where the newest snapshot up to seq that showed the
// player its own entity put it: a snapshot without it (its cell being
// resent, a handoff) showed the client nothing to claim from, so the
// client's claim comes from an earlier one.
func (r *shownRing) lastShown(seq uint32) (x, y int32, ok bool) {
	for back := uint32(0); back < uint32(len(r.seq)) && back < seq; back++ {
		if x, y, ok := r.get(seq - back); ok {
			return x, y, true
		}
	}
	return 0, 0, false
}

// get returns where snapshot seq showed the player, if still remembered.
func (r *shownRing) get(seq uint32) (x, y int32, ok bool) {
	if seq == 0 {
		return 0, 0, false
	}
	i := seq % 64
	if r.seq[i].Load() != seq {
		return 0, 0, false
	}
	v := r.pos[i].Load()
	if r.seq[i].Load() != seq {
		return 0, 0, false
	}
	x, y = unpack(v)
	return x, y, true
}

func pack(x, y int32) uint64 { return uint64(uint32(x))<<32 | uint64(uint32(y)) }

func unpack(v uint64) (int32, int32) { return int32(uint32(v >> 32)), int32(uint32(v)) }
