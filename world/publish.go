package world

import (
	"fmt"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/systems"
)

// GatewayID numbers the gateways a zone serves, 0..MaxGateways-1.
type GatewayID uint8

// MaxGateways is how many gateways one zone can serve at once.
const MaxGateways = 64

// EncodedCell is one cell's delta of a tick, encoded once, and the
// gateways it goes to (bit g set for gateway g).
type EncodedCell struct {
	Cell     int32
	Bytes    []byte
	Gateways uint64
	Moved    int // entities whose position the delta carries
}

// FullCell is a cell's whole state for one gateway that just subscribed
// to it.
type FullCell struct {
	Gateway GatewayID
	Cell    int32
	Bytes   []byte
}

// Output is what a zone publishes in one tick. Its byte slices are valid
// until the next tick.
type Output struct {
	Tick  uint64
	Cells []EncodedCell
	Full  []FullCell
}

// Publisher is the zone's last phase: it encodes every changed cell once
// (net/codec CellDelta) and knows which gateways subscribe to which cells.
// A subscription is reference counted per gateway (a gateway subscribes
// once per player watching the cell); the first reference makes the
// publisher send that gateway the whole cell at the end of the tick, the
// last one ends the deltas.
type Publisher struct {
	cells    *spatial.Cells
	enc      *codec.CellDeltaEncoder
	arena    []byte
	out      Output
	offsets  []int
	subs     []uint64           // per cell, established subscribers
	refs     []uint16           // per cell and gateway
	watchers []int32            // per cell: references of all gateways
	held     [MaxGateways]int32 // per gateway: cells it holds a reference to
	pending  []FullCell
	full     spatial.CellChanges
	replica  generic.Map[systems.Replica]
	appear   generic.Map[systems.Appearance]
}

// NewPublisher returns the publisher for a zone's world and cells.
func NewPublisher(w *ecs.World, cells *spatial.Cells) *Publisher {
	return &Publisher{
		cells: cells, enc: codec.NewCellDeltaEncoder(),
		subs: make([]uint64, cells.Len()), refs: make([]uint16, cells.Len()*MaxGateways), watchers: make([]int32, cells.Len()),
		replica: generic.NewMap[systems.Replica](&w.ECS), appear: generic.NewMap[systems.Appearance](&w.ECS),
		pending: make([]FullCell, 0, 1024),
		full:    spatial.CellChanges{Enters: make([]spatial.Enter, 0, 256)}, // a crowded cell's full state
		// A tick's output starts with room for every cell changing (up to
		// 16,384 of them), so that it grows only in a larger zone's busiest
		// ticks.
		out:     Output{Cells: make([]EncodedCell, 0, min(cells.Len(), 1<<14)), Full: make([]FullCell, 0, 1024)},
		offsets: make([]int, 0, min(cells.Len(), 1<<14)+1024),
	}
}

// Subscribe adds one reference of gateway g to a cell.
func (p *Publisher) Subscribe(g GatewayID, cell int32) error {
	if g >= MaxGateways || cell < 0 || int(cell) >= len(p.subs) {
		return fmt.Errorf("subscribe gateway %d to cell %d: out of range", g, cell)
	}
	i := int(cell)*MaxGateways + int(g)
	p.refs[i]++
	p.watchers[cell]++
	if p.refs[i] == 1 {
		p.held[g]++
		p.pending = append(p.pending, FullCell{Gateway: g, Cell: cell})
	}
	return nil
}

// Unsubscribe drops one reference of gateway g to a cell.
func (p *Publisher) Unsubscribe(g GatewayID, cell int32) {
	if g >= MaxGateways || cell < 0 || int(cell) >= len(p.subs) {
		return
	}
	i := int(cell)*MaxGateways + int(g)
	if p.refs[i] == 0 {
		return
	}
	p.refs[i]--
	p.watchers[cell]--
	if p.refs[i] == 0 {
		p.held[g]--
		p.subs[cell] &^= 1 << g
	}
}

// Holds reports whether gateway g holds a reference to a cell.
func (p *Publisher) Holds(g GatewayID, cell int32) bool {
	return g < MaxGateways && cell >= 0 && int(cell) < len(p.subs) && p.refs[int(cell)*MaxGateways+int(g)] > 0
}

// Resend sends gateway g a cell it holds whole again at the end of the
// tick (its copy went out of step); a cell it does not hold is ignored.
func (p *Publisher) Resend(g GatewayID, cell int32) {
	if p.Holds(g, cell) {
		p.pending = append(p.pending, FullCell{Gateway: g, Cell: cell})
	}
}

// DropGateway forgets every subscription of a gateway (it restarted and
// will subscribe again).
func (p *Publisher) DropGateway(g GatewayID) {
	if g >= MaxGateways {
		return
	}
	for cell := range p.subs {
		i := cell*MaxGateways + int(g)
		p.watchers[cell] -= int32(p.refs[i])
		p.refs[i] = 0
		p.subs[cell] &^= 1 << g
	}
	p.held[g] = 0
}

// Watching reports whether a gateway holds any subscription, established
// or still waiting for its first full state.
func (p *Publisher) Watching(g GatewayID) bool { return g < MaxGateways && p.held[g] > 0 }

// Watchers returns how many references all gateways hold on a cell: the
// number of players watching it.
func (p *Publisher) Watchers(cell int32) int { return int(p.watchers[cell]) }

// Subscribers returns the gateways that receive a cell's deltas.
func (p *Publisher) Subscribers(cell int32) uint64 { return p.subs[cell] }

// Output returns the last tick's output.
func (p *Publisher) Output() *Output { return &p.out }

// Run encodes this tick's changed cells and the whole state of newly
// subscribed ones, then clears the cells' changes.
func (p *Publisher) Run(w *ecs.World) {
	p.arena = p.arena[:0]
	p.offsets = p.offsets[:0]
	p.out.Tick = w.Time.Tick
	p.out.Cells = p.out.Cells[:0]
	p.out.Full = p.out.Full[:0]
	for _, cell := range p.cells.Dirty() {
		ch := p.cells.Changes(cell, uint32(w.Time.Tick))
		p.offsets = append(p.offsets, len(p.arena))
		p.arena = appendRoomy(p.arena, p.enc.Encode(ch))
		p.out.Cells = append(p.out.Cells, EncodedCell{Cell: cell, Gateways: p.subs[cell], Moved: ch.Moved()})
	}
	for _, f := range p.pending {
		if p.refs[int(f.Cell)*MaxGateways+int(f.Gateway)] == 0 {
			continue // unsubscribed again within the tick
		}
		p.offsets = append(p.offsets, len(p.arena))
		p.arena = appendRoomy(p.arena, p.enc.Encode(p.fullState(f.Cell, w.Time.Tick)))
		p.out.Full = append(p.out.Full, f)
		p.subs[f.Cell] |= 1 << f.Gateway
	}
	p.pending = p.pending[:0]
	// Slices into the arena are taken only now: appending may have moved it.
	k := 0
	for i := range p.out.Cells {
		p.out.Cells[i].Bytes = p.arena[p.offsets[k]:p.end(k)]
		k++
	}
	for i := range p.out.Full {
		p.out.Full[i].Bytes = p.arena[p.offsets[k]:p.end(k)]
		k++
	}
	p.cells.ClearChanges()
}

func (p *Publisher) end(k int) int {
	if k+1 < len(p.offsets) {
		return p.offsets[k+1]
	}
	return len(p.arena)
}

// fullState returns every entity of a cell as enter records, as published
// this tick.
func (p *Publisher) fullState(cell int32, tick uint64) *spatial.CellChanges {
	f := &p.full
	f.Reset()
	f.CX, f.CY = p.cells.Coords(cell)
	f.CellSize = uint16(p.cells.Size())
	f.Tick = uint32(tick)
	f.Full = true
	for _, e := range p.cells.Slots(cell) {
		if e.IsZero() {
			continue
		}
		f.Enters = append(f.Enters, systems.EnterRecord(p.replica.Get(e), p.appear.Get(e)))
	}
	return f
}

// appendRoomy appends b to arena, doubling the arena when it is full
// rather than growing it by a quarter as append does past 256 bytes: a
// tick's output grows with the zone, and each growth past a new peak is an
// allocation the tick pays.
func appendRoomy(arena, b []byte) []byte {
	if cap(arena)-len(arena) < len(b) {
		grown := make([]byte, len(arena), 2*(len(arena)+len(b)))
		copy(grown, arena)
		arena = grown
	}
	return append(arena, b...)
}
