package login

import (
	"sort"
	"sync"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// PopulationEvery is how often a login node asks each realm node how many
// players it has, for the realm list.
const PopulationEvery = 2 * time.Second

// realmStates is what the login node last heard from each realm node.
type realmStates struct {
	mu     sync.Mutex
	states map[string]codec.RealmInfo // by realm name
	// full is when a realm node last said every gateway was full, and
	// the retry hint it gave: for fullFor after, logins to that realm are
	// told so before their password check (a full realm must not cost a
	// hash per retry).
	full map[string]fullRealm
}

type fullRealm struct {
	at    time.Time
	retry uint32 // ms
}

// fullFor is how long a realm's "full" stands before a login asks again.
const fullFor = 3 * time.Second

// markFull records that a realm said it was full.
func (s *realmStates) markFull(realm string, retry uint32, now time.Time) {
	s.mu.Lock()
	if s.full == nil {
		s.full = map[string]fullRealm{}
	}
	s.full[realm] = fullRealm{at: now, retry: retry}
	s.mu.Unlock()
}

// fullNow returns the retry hint when the realm said it was full within
// fullFor, or 0.
func (s *realmStates) fullNow(realm string, now time.Time) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.full[realm]
	if !ok || now.Sub(f.at) >= fullFor {
		return 0
	}
	return f.retry
}

// watchRealms asks every realm node for its population until the node
// stops. A realm whose node does not answer within a second is Down.
func (l *Node) watchRealms() {
	defer l.conns.Done()
	enc := codec.NewRealmEncoder()
	for {
		for name, r := range l.cfg.Realms {
			l.askPopulation(name, r.Node, enc.PopulationRequest())
		}
		select {
		case <-l.ctx.Done():
			return
		case <-l.clock.After(PopulationEvery):
		}
	}
}

func (l *Node) askPopulation(name, id string, payload []byte) {
	down := func() { l.realms.set(codec.RealmInfo{Name: name, State: wire.RealmStateDown}) }
	if !l.node.Connected(id) {
		down()
		return
	}
	err := l.node.Ask(id, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload}, time.Second, func(m node.Message, err error) {
		var msg wire.RealmMessage
		if err != nil || codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.RealmBodyRealmPopulation {
			down()
			return
		}
		var p wire.RealmPopulation
		codec.Member(msg.Body, &p)
		l.realms.set(codec.RealmInfo{Name: name, Players: p.Players(), State: wire.RealmStateUp})
	})
	if err != nil {
		down()
	}
}

func (s *realmStates) set(r codec.RealmInfo) {
	s.mu.Lock()
	s.states[r.Name] = r
	s.mu.Unlock()
}

// list returns the realms by name; one not heard from yet is Down.
func (l *Node) listRealms() []codec.RealmInfo {
	l.realms.mu.Lock()
	defer l.realms.mu.Unlock()
	out := make([]codec.RealmInfo, 0, len(l.cfg.Realms))
	for name := range l.cfg.Realms {
		r, ok := l.realms.states[name]
		if !ok {
			r = codec.RealmInfo{Name: name, State: wire.RealmStateDown}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Realms returns the realms this login node serves, as it lists them to
// players.
func (l *Node) Realms() []codec.RealmInfo { return l.listRealms() }
