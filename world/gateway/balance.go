package gateway

import (
	"math"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// siblingLoad is the last load another gateway reported.
type siblingLoad struct {
	players int
	public  string
	at      time.Time
}

// redirect returns the players' address of a sibling with fewer players
// than this gateway (the least loaded one), or "" to keep the player here,
// counted as connecting. The sibling's count goes up at once, so that a
// burst of connects does not all go to one stale figure. A player already
// redirected once (mayRedirect false) stays: load figures are up to 100 ms
// old, and two gateways could otherwise bounce a player between them.
func (g *Node) redirect(mayRedirect bool) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	mine := len(g.players) + g.connecting
	var best *siblingLoad
	for _, l := range g.loads {
		if !mayRedirect {
			break
		}
		if g.clock.Now().Sub(l.at) < time.Second && l.players < mine && (best == nil || l.players < best.players) {
			best = l
		}
	}
	if best == nil {
		g.connecting++
		return ""
	}
	best.players++
	return best.public
}

// report tells the siblings and the realm nodes this gateway's load, every
// LoadEvery: the realm nodes assign new players by it.
func (g *Node) report() {
	defer g.wg.Done()
	for {
		g.clock.Sleep(g.ctx, g.cfg.LoadEvery)
		if g.ctx.Err() != nil {
			return
		}
		if g.cfg.FullIdle > 0 {
			if now := g.clock.Now(); now.Sub(g.cpuAt) >= time.Second {
				g.cpu.sample(now)
				g.cpuAt = now
			}
		}
		g.mu.Lock()
		f := g.judgeFullness()
		players := len(g.players) + g.connecting
		g.judgeShed(f, players, g.clock.Now())
		full := f.full()
		room := int32(-1)
		if g.cfg.MaxPlayers > 0 {
			room = int32(min(max(g.cfg.MaxPlayers-players, 0), math.MaxInt32))
		}
		load := codec.GatewayLoad(uint32(players), g.cfg.Public, full, room)
		g.mu.Unlock()
		g.logFullness(f, players)
		g.fullNow.Store(full)
		for _, to := range g.reportTo {
			g.node.Send(to, node.Out{Kind: kinds.Gateway, Priority: node.Control, Volatile: true, Payload: load})
		}
	}
}

// sibling records another gateway's load.
func (g *Node) sibling(m node.Message) {
	var msg wire.GatewayMessage
	if err := codec.DecodeGatewayMessage(m.Payload, len(m.Payload)+1, &msg); err != nil || msg.BodyType() != wire.GatewayBodyGatewayLoad {
		return
	}
	var l wire.GatewayLoad
	codec.Member(msg.Body, &l)
	g.mu.Lock()
	g.loads[m.From] = &siblingLoad{players: int(l.Players()), public: string(l.Public()), at: g.clock.Now()}
	g.mu.Unlock()
}

// realmNode returns the node of the realm a player names: a gateway every
// realm shares looks the name up; a player who names none (an older
// client) is the only realm's, or Realm's.
func (g *Node) realmNode(name string) (string, bool) {
	if id, ok := g.cfg.Realms[name]; ok && name != "" {
		return id, true
	}
	switch {
	case name != "" && len(g.cfg.Realms) > 0:
		return "", false
	case g.cfg.Realm != "":
		return g.cfg.Realm, true
	case len(g.cfg.Realms) == 1:
		for _, id := range g.cfg.Realms {
			return id, true
		}
	}
	return "", false
}

// playerIn returns the player of a character in a zone: a zone holds one
// realm's characters at a time, so its id and the character name the
// player among every realm's. g.mu is held.
func (g *Node) playerIn(zone string, character uint64) *player {
	for _, realm := range g.realmIDs {
		if p := g.players[playerKey{realm, character}]; p != nil && p.zone == zone {
			return p
		}
	}
	return nil
}

// isRealmNode reports whether id is one of the realm nodes served.
func (g *Node) isRealmNode(id string) bool {
	if id == "" {
		return false
	}
	if id == g.cfg.Realm {
		return true
	}
	for _, r := range g.cfg.Realms {
		if r == id {
			return true
		}
	}
	return false
}
