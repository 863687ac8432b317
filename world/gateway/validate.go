package gateway

import (
	"fmt"
	"math"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/world"
)

// Move validation. The zone moves characters by intent; a client's claimed
// position (where it predicts it stands) is checked against the
// authoritative one and the zone's terrain. A claim off by more than
// `slack` seconds of top speed plus a metre (room for 200 ms of jitter and
// a tick of lag), or on a blocked tile, is corrected: the player is told
// its authoritative position. Corrections count against the player — at
// most one per correction sent, and none while the player is behind its
// snapshots (its newest acknowledged snapshot lagTicks or more older than
// the newest sent: under load it predicts from stale views, and lag is not
// cheating; claims move no one, so the leniency lets no cheat further);
// too many disconnect it.
const (
	slack          = 0.5 // seconds of top speed a claim may lead or lag
	slackMetres    = 1.0
	correctEvery   = 250 // ms between two corrections of one player
	violationLimit = 50  // violations, decaying by one per second, before a disconnect
	lagTicks       = 10  // snapshots a client may be behind before its claims stop counting against it
)

// moveCheck is why a claimed position was refused.
type moveCheck uint8

const (
	moveOK moveCheck = iota
	moveTooFar
	moveBlocked
)

func (c moveCheck) String() string {
	return [...]string{"ok", "too far", "blocked"}[c]
}

// checkMove judges a claim (x, y, 1/256 m) against the authoritative
// position (ax, ay) for a character of top speed m/s, on terrain (nil: no
// terrain check).
func checkMove(t *spatial.Terrain, ax, ay, x, y int32, speed float32) moveCheck {
	dx, dy := float64(x-ax)/spatial.PosSteps, float64(y-ay)/spatial.PosSteps
	if math.Hypot(dx, dy) > float64(speed)*slack+slackMetres {
		return moveTooFar
	}
	if t != nil && !walkableWithin(t, x, y) {
		return moveBlocked
	}
	return moveOK
}

// walkableWithin reports whether (x, y) (1/256 m) is walkable, or one
// quantization step from walkable ground: a character standing against a
// wall is a hair from it, and rounding its position to 1/256 m can put it
// on the wall's edge. (Honest bots pushing into walls were disconnected
// for it.)
func walkableWithin(t *spatial.Terrain, x, y int32) bool {
	for _, d := range [...][2]int32{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, 1}, {-1, -1}} {
		if t.Walkable(float32(x+d[0])/spatial.PosSteps, float32(y+d[1])/spatial.PosSteps) {
			return true
		}
	}
	return false
}

// moveRules are what a zone's players' moves are checked on.
type moveRules struct {
	key     mapKey
	terrain *spatial.Terrain // nil for a map that cannot be regenerated
	speed   float32          // players' top speed, m/s
}

// mapKey is what a zone tells of its map and players' speed: two entries
// with the same key are checked on the same rules.
type mapKey struct {
	seed                           uint64
	width, height, tile, obstacles float32
	file                           bool
	speed                          float32
}

func mapKeyOf(pe codec.PlayerEntered) mapKey {
	return mapKey{seed: pe.MapSeed, width: pe.MapWidth, height: pe.MapHeight, tile: pe.MapTileSize, obstacles: pe.MapObstacles,
		file: pe.MapFile, speed: pe.PlayerSpeed}
}

func newMoveRules(pe codec.PlayerEntered) *moveRules {
	return &moveRules{key: mapKeyOf(pe), terrain: zoneTerrain(pe), speed: pe.PlayerSpeed}
}

// zoneTerrain regenerates a zone's map from what the zone told, or nil
// when it cannot be (a map loaded from a file).
func zoneTerrain(pe codec.PlayerEntered) *spatial.Terrain {
	if pe.MapFile || pe.MapWidth <= 0 || pe.MapHeight <= 0 {
		return nil
	}
	obstacles := float64(pe.MapObstacles)
	t, err := world.GenerateMap(world.MapConfig{Width: pe.MapWidth, Height: pe.MapHeight, TileSize: pe.MapTileSize,
		Obstacles: obstacles, Seed: pe.MapSeed})
	if err != nil {
		return nil
	}
	return t
}

// readInputs takes the player's input datagrams until the connection ends:
// the newest input wins, its ack moves the snapshot baseline, and its
// claimed position is checked.
func (g *Node) readInputs(p *player) {
	enc := codec.NewPlayerEncoder()
	for {
		b, err := p.s.RecvDatagram(g.ctx)
		if err != nil {
			return
		}
		g.metrics.inputs.Inc()
		if ok, flood := p.inputs.take(g.clock.Now()); flood {
			g.disconnect(p, wire.DisconnectReasonMessageFlood, "far too many inputs")
			return
		} else if !ok {
			g.metrics.dropped.WithLabelValues("input").Inc()
			continue // over budget: dropped, counted
		}
		var in codec.Input
		if err := codec.ReadInput(b, &in); err != nil {
			p.s.Close(wire.DisconnectReasonProtocolError, "bad input datagram")
			return
		}
		p.ack.Store(in.Ack)
		if old := p.input.Load(); old != nil && in.Seq <= old.Seq {
			continue // an older input arrived late: the newest wins
		}
		if !g.validate(p.zv.Load().moves.Load(), p, &in, enc) { // the zone it is in now: handoffs move it
			return
		}
		p.input.Store(&in)
	}
}

// judge checks a claimed position against the authoritative one and, for a
// lagging client, against where the snapshot it acknowledges showed it.
// Claims move no one (the zone moves players by intent), so the second
// chance lets no cheat further; it spares honest clients under load.
func (p *player) judge(z *moveRules, in *codec.Input) moveCheck {
	ax, ay := unpack(p.auth.Load())
	check := checkMove(z.terrain, ax, ay, in.X, in.Y, z.speed)
	if check == moveTooFar {
		if sx, sy, ok := p.shown.lastShown(in.Ack); ok {
			check = checkMove(z.terrain, sx, sy, in.X, in.Y, z.speed)
		}
	}
	return check
}

// validate checks a claimed position; it reports false when the player was
// disconnected for too many violations.
func (g *Node) validate(z *moveRules, p *player, in *codec.Input, enc *codec.PlayerEncoder) bool {
	now := g.clock.Now()
	p.decay(now)
	check := p.judge(z, in)
	if check == moveOK {
		return true
	}
	ax, ay := unpack(p.auth.Load())
	correct, excused := p.charge(now, in)
	if excused {
		g.metrics.lagExcused.Inc()
	}
	if p.violations > violationLimit {
		sx, sy, _ := p.shown.lastShown(in.Ack)
		g.log.Warn("gateway: disconnecting a player for impossible moves", "character", p.character, "check", check,
			"claim", fmt.Sprintf("(%.2f, %.2f)", float64(in.X)/256, float64(in.Y)/256),
			"authoritative", fmt.Sprintf("(%.2f, %.2f)", float64(ax)/256, float64(ay)/256),
			"acked", in.Ack, "acked_showed", fmt.Sprintf("(%.2f, %.2f)", float64(sx)/256, float64(sy)/256))
		g.disconnect(p, wire.DisconnectReasonMovementViolations, "too many impossible moves")
		return false
	}
	if correct {
		p.Corrections.Add(1)
		g.metrics.corrections.Inc()
		p.s.Send(enc.Correction(ax, ay, in.Seq))
	}
	return true
}

// decay takes the violations down by one per second since the last look.
func (p *player) decay(now time.Time) {
	if !p.lastDecay.IsZero() {
		p.violations = max(0, p.violations-now.Sub(p.lastDecay).Seconds())
	}
	p.lastDecay = now
}

// charge takes an impossible claim: whether it is corrected now (at most
// one correction every correctEvery), and whether it was excused — not
// counted because the player is behind its snapshots. A counted claim is
// one violation, at most one per correction.
func (p *player) charge(now time.Time, in *codec.Input) (correct, excused bool) {
	correct = now.Sub(p.lastCorrect) >= correctEvery*time.Millisecond
	excused = in.Ack == 0 || p.sent.Load()-in.Ack >= lagTicks
	if correct {
		p.lastCorrect = now
		if !excused {
			p.violations++
		}
	}
	return correct, excused
}
