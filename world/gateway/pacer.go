package gateway

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
)

// pacing: one zone tick's snapshots go out in pacedGroups groups spread
// over pacedShare of the tick, so that the gateway's sends (and the
// players' downstream) do not spike at the start of each tick.
const (
	pacedGroups = 8
	pacedShare  = 0.8
)

// batch is one tick's datagrams, in an arena.
type batch struct {
	arena    []byte
	sends    []pacedSend
	span     time.Duration // the tick's length
	replaced int           // snapshots that replaced one still waiting to go
}

// datagramSender is where a paced datagram goes: a player's QUIC session,
// which never makes the pacer wait (pquic.Session.OfferDatagram: one
// player whose connection cannot take more would hold up every other).
type datagramSender interface {
	OfferDatagram([]byte) (replaced bool)
}

type pacedSend struct {
	to         datagramSender
	start, end int
}

// pacer sends one zone's batches spread over their tick. Two batches
// alternate: the main loop fills one while the pacer sends the other, and
// waits only when it hands over a batch before the last one is out.
type pacer struct {
	batches [2]batch
	next    int
	busy    sync.WaitGroup // the batch being sent
	work    chan *batch
	stop    chan struct{}
	done    chan struct{}

	clock    ecs.Clock
	replaced *atomic.Uint64 // snapshots that replaced one still waiting, of every zone (nil: not counted)
	mu       sync.Mutex
	waited   int           // times the main loop waited for the pacer
	lastLen  time.Duration // how long the last batch took to send
}

func newPacer(clock ecs.Clock, replaced *atomic.Uint64) *pacer {
	p := &pacer{clock: ecs.OrReal(clock), replaced: replaced, work: make(chan *batch, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// begin returns the batch to fill for the next tick. It never waits: the
// pacer may still be sending the other batch, but this one was sent out
// before the last commit handed that one over.
func (p *pacer) begin(span time.Duration) *batch {
	b := &p.batches[p.next]
	p.next ^= 1
	b.arena, b.sends, b.span, b.replaced = b.arena[:0], b.sends[:0], span, 0
	return b
}

// add appends one datagram to a batch.
func (b *batch) add(to datagramSender, d []byte) {
	start := len(b.arena)
	b.arena = append(b.arena, d...)
	b.sends = append(b.sends, pacedSend{to: to, start: start, end: len(b.arena)})
}

// commit hands a filled batch to the pacer, first waiting (and counting
// it) if the pacer is still sending the batch before.
func (p *pacer) commit(b *batch) {
	if len(b.sends) == 0 {
		return
	}
	t0 := p.clock.Now()
	p.busy.Wait() // the pacer takes one batch at a time
	if p.clock.Now().Sub(t0) > time.Millisecond {
		p.mu.Lock()
		p.waited++
		p.mu.Unlock()
	}
	p.busy.Add(1)
	p.work <- b
}

func (p *pacer) run() {
	defer close(p.done)
	for {
		select {
		case b := <-p.work:
			p.send(b)
		case <-p.stop:
			return
		}
	}
}

// send spreads a batch over its share of the tick.
func (p *pacer) send(b *batch) {
	defer p.busy.Done()
	start := p.clock.Now()
	b.send(p.clock, start)
	if p.replaced != nil {
		p.replaced.Add(uint64(b.replaced))
	}
	p.mu.Lock()
	p.lastLen = p.clock.Now().Sub(start)
	p.mu.Unlock()
}

// send sends a batch's datagrams in pacedGroups groups, spread over
// pacedShare of its span from start (back to back when its span is 0).
func (b *batch) send(clock ecs.Clock, start time.Time) {
	gap := time.Duration(float64(b.span) * pacedShare / pacedGroups)
	per := (len(b.sends) + pacedGroups - 1) / pacedGroups
	for g := 0; g < pacedGroups; g++ {
		if g > 0 && gap > 0 {
			clock.Sleep(context.Background(), start.Add(time.Duration(g)*gap).Sub(clock.Now()))
		}
		for i := g * per; i < min((g+1)*per, len(b.sends)); i++ {
			s := b.sends[i]
			if s.to.OfferDatagram(b.arena[s.start:s.end]) {
				b.replaced++ // the player's previous snapshot had not gone yet
			}
		}
	}
}

func (p *pacer) close() {
	p.busy.Wait()
	close(p.stop)
	<-p.done
}
