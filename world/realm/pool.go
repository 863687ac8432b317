package realm

import (
	"context"
	"fmt"
	"slices"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// The instance pool. Instance nodes (Config.Pool) start holding no
// instance and say so (RealmPoolIdle) when their link to the realm comes
// up. A zone whose player (or party) steps into a portal to an instance
// asks for one (RealmInstanceRequest); the realm picks a free node — within
// the template's cap and the realm's — and has it load a fresh copy of the
// template (ZoneLoadInstance), then answers the zone with the node, its
// address and where players arrive. A node that let its instance go (empty
// for a while) says it is idle again. A request the pool cannot serve is
// answered at once with the reason; nothing queues.

// poolState is what the realm knows of an instance node.
type poolState uint8

const (
	poolUnknown poolState = iota // not heard from since its link came up
	poolFree
	poolLoading
	poolBusy
)

// poolNode is one instance node of the pool.
type poolNode struct {
	id, addr string
	state    poolState
	template string // what it runs (loading or busy)
	// allocated: taken through Config.Allocator for one copy, forgotten
	// once it releases it.
	allocated bool
}

// noneFree is allocate's answer when every node is taken.
const noneFree = "no instance free, try again later"

// instanceRequest serves a zone's request for an instance of template.
func (r *Node) instanceRequest(m node.Message, template string, players int) {
	if r.cfg.Zones[m.From] == "" || r.pool[m.From] != nil {
		r.grant(m, &codec.InstanceGranted{Reason: "only an open zone asks for instances"})
		return
	}
	r.open(m, template, players, len(r.pool)+1)
}

// open has a free instance node load a copy of template for the zone's
// request. A node of a pool every realm shares may have been taken by
// another realm since it said it was idle: it refuses, and the next free
// node is tried, up to tries nodes.
func (r *Node) open(m node.Message, template string, players, tries int) {
	n, why := r.allocate(template)
	if n == nil && why == noneFree && r.cfg.Allocator != nil && tries > 0 {
		r.allocateNode(m, template, players)
		return
	}
	if n == nil {
		r.log.Warn("realm: no instance for a party", "template", template, "players", players, "why", why)
		r.grant(m, &codec.InstanceGranted{Reason: why})
		return
	}
	r.seed++
	req := r.cfg.InstanceLoad
	req.Template, req.Seed = template, r.seed
	err := r.node.Ask(n.id, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().LoadInstance(&req)},
		r.cfg.EnterTimeout, func(a node.Message, err error) {
			entryX, entryY, err := readLoaded(a, err)
			r.mu.Lock()
			if err != nil {
				n.state, n.template = poolUnknown, "" // it says when it is idle again
			} else {
				n.state = poolBusy
			}
			r.mu.Unlock()
			if err != nil {
				r.log.Warn("realm: an instance node did not load its instance", "node", n.id, "template", template, "err", err)
				if tries > 1 {
					r.open(m, template, players, tries-1)
					return
				}
				r.grant(m, &codec.InstanceGranted{Reason: "the instance could not be opened, try again"})
				return
			}
			r.log.Info("realm: instance opened", "node", n.id, "template", template, "players", players)
			r.grant(m, &codec.InstanceGranted{Node: n.id, Addr: n.addr, EntryX: entryX, EntryY: entryY})
		})
	if err != nil {
		r.mu.Lock()
		n.state, n.template = poolUnknown, ""
		r.mu.Unlock()
		r.grant(m, &codec.InstanceGranted{Reason: "the instance could not be opened, try again"})
	}
}

// allocate takes a free node for template, within the caps, or says why
// none.
func (r *Node) allocate(template string) (*poolNode, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.cfg.Templates[template]; !ok && len(r.cfg.Templates) > 0 {
		return nil, fmt.Sprintf("there is no instance %q in this realm", template)
	}
	inUse, ofTemplate := len(r.allocating), 0
	for _, t := range r.allocating {
		if t == template {
			ofTemplate++
		}
	}
	var free []*poolNode
	for _, n := range r.pool {
		switch n.state {
		case poolLoading, poolBusy:
			inUse++
			if n.template == template {
				ofTemplate++
			}
		case poolFree:
			free = append(free, n)
		}
	}
	if c := r.cfg.Templates[template]; c > 0 && ofTemplate >= c {
		return nil, fmt.Sprintf("every instance of %s is in use (%d of %d): try again later", template, ofTemplate, c)
	}
	if r.cfg.MaxInstances > 0 && inUse >= r.cfg.MaxInstances {
		return nil, fmt.Sprintf("the realm's instances are all in use (%d of %d): try again later", inUse, r.cfg.MaxInstances)
	}
	if len(free) == 0 {
		return nil, noneFree
	}
	slices.SortFunc(free, func(a, b *poolNode) int {
		if a.id < b.id {
			return -1
		}
		return 1
	})
	n := free[0]
	n.state, n.template = poolLoading, template
	return n, ""
}

// allocateNode takes a node from the Allocator (off the main loop: it
// talks to the orchestrator), adds it to the pool and has it load the
// copy. The node counts against the caps while it is being found.
func (r *Node) allocateNode(m node.Message, template string, players int) {
	r.mu.Lock()
	r.allocating = append(r.allocating, template)
	r.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.EnterTimeout)
		id, addr, err := r.cfg.Allocator.Allocate(ctx)
		cancel()
		r.node.After(0, func() {
			r.mu.Lock()
			if i := slices.Index(r.allocating, template); i >= 0 {
				r.allocating = slices.Delete(r.allocating, i, i+1)
			}
			if err == nil {
				r.pool[id] = &poolNode{id: id, addr: addr, state: poolFree, allocated: true}
				r.cfg.Zones[id] = addr
			}
			r.mu.Unlock()
			if err != nil {
				r.log.Warn("realm: no instance node allocated", "template", template, "err", err)
				r.grant(m, &codec.InstanceGranted{Reason: noneFree})
				return
			}
			r.log.Info("realm: instance node allocated", "node", id, "addr", addr, "template", template)
			if !r.node.Connected(id) {
				r.node.AddPeer(id, addr)
			}
			r.open(m, template, players, 0) // no second allocation for this request
		})
	}()
}

// poolIdle marks an instance node free; one taken through the Allocator
// that released its copy is forgotten (it shuts down).
func (r *Node) poolIdle(from, released string) {
	r.mu.Lock()
	n := r.pool[from]
	if n == nil {
		r.mu.Unlock()
		return
	}
	if released != "" {
		r.log.Info("realm: instance released to the pool", "node", from, "template", released)
	}
	n.state, n.template = poolFree, ""
	forget := n.allocated && released != ""
	r.mu.Unlock()
	if forget {
		r.forget(from)
	}
}

// poolDown forgets what an instance node whose link went down held: it
// says when it is idle again. An allocated one is gone for good.
func (r *Node) poolDown(id string) {
	r.mu.Lock()
	n := r.pool[id]
	if n != nil {
		n.state, n.template = poolUnknown, ""
	}
	r.mu.Unlock()
	if n != nil && n.allocated {
		r.forget(id)
	}
}

// forget drops an allocated instance node from the pool, the zones and
// the node's peers.
func (r *Node) forget(id string) {
	r.mu.Lock()
	delete(r.pool, id)
	delete(r.cfg.Zones, id)
	r.mu.Unlock()
	r.node.RemovePeer(id)
}

// PoolState reports each instance node's state: free, loading, busy (with
// its template) or unknown.
func (r *Node) PoolState() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for id, n := range r.pool {
		out[id] = [...]string{"unknown", "free", "loading", "busy"}[n.state]
		if n.template != "" {
			out[id] += " " + n.template
		}
	}
	return out
}

func (r *Node) grant(m node.Message, g *codec.InstanceGranted) {
	if err := r.node.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().InstanceGranted(g)}); err != nil {
		r.log.Warn("realm: instance answer not sent", "zone", m.From, "err", err)
	}
}

// readLoaded reads an instance node's answer to ZoneLoadInstance.
func readLoaded(m node.Message, err error) (x, y float32, _ error) {
	if err != nil {
		return 0, 0, err
	}
	var msg wire.ZoneMessage
	if err := codec.DecodeZoneMessage(m.Payload, len(m.Payload)+1, &msg); err != nil {
		return 0, 0, err
	}
	if msg.BodyType() != wire.ZoneBodyZoneInstanceLoaded {
		return 0, 0, fmt.Errorf("answered %s", msg.BodyType())
	}
	var w wire.ZoneInstanceLoaded
	codec.Member(msg.Body, &w)
	if w.Refused() != nil {
		return 0, 0, fmt.Errorf("refused: %s", w.Refused())
	}
	return w.EntryX(), w.EntryY(), nil
}
