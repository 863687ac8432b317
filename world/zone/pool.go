package zone

import (
	"bytes"
	"strings"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
	"github.com/gridrealm/gridrealm/world"
)

// An instance node of the pool (Config.Pool) holds no instance until the
// realm has it load one (ZoneLoadInstance): between two runs of the tick
// loop it builds a fresh copy of the template, with an exit portal around
// its entry, and answers where players arrive. Once the copy has had no
// one for ReleaseAfter it lets it go and tells the realm it is idle. A
// player sent to it while it holds no instance (its node restarted, say)
// goes to the exit zone.
//
// In an open zone, a portal whose zone is "instance:TEMPLATE" asks the
// realm for an instance of TEMPLATE for the player's party (party.go) and
// hands them all off into it; when the pool has none, each is told why.

// PoolConfig makes a zone node an instance node of the realm's pool.
type PoolConfig struct {
	// Templates are the instance templates it can load, by name.
	Templates map[string]*world.InstanceTemplate
	// Exit is where the copy's exit portal (around its entry) leads, and
	// where players of a lost copy go: a zone, its address, the arrival.
	Exit         Neighbour
	ExitX, ExitY float32
	// ReleaseAfter is how long a copy stays with no one before it is let
	// go (default DefaultReleaseAfter, 60 s).
	ReleaseAfter time.Duration
	// OnRelease, when set, runs after the node let its copy go and told
	// the realms (an instance node of an Agones fleet shuts down then, and
	// the fleet makes a fresh one). It must not block.
	OnRelease func()
	// Realms are the realm nodes of a pool every realm shares, besides
	// Config.Realm: any of them may have the node load a copy (with its
	// own db and exit, ZoneLoadInstance), and all hear when it is idle.
	Realms []Neighbour
}

// DefaultReleaseAfter is how long an empty instance is kept.
const DefaultReleaseAfter = time.Minute

// InstancePrefix marks a portal that leads into an instance of a template.
const InstancePrefix = "instance:"

// SystemNoInstance is the system message code of a portal whose instance
// could not be opened; the text says why.
const SystemNoInstance = 3

// loadRequest is the realm's request to load an instance, waiting for the
// end of the loop's run.
type loadRequest struct {
	m        node.Message
	template *world.InstanceTemplate
	req      codec.LoadInstance
}

// loadAsked takes the realm's ZoneLoadInstance: refused when the node is
// no pool node, holds an instance or players, or does not know the
// template; else the loop's run ends after this tick and loadInstance runs.
func (zn *Node) loadAsked(m node.Message, req codec.LoadInstance) {
	template := req.Template
	refuse := func(why string) {
		zn.node.Reply(m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.InstanceLoaded(0, 0, why)})
	}
	switch {
	case zn.cfg.Pool == nil:
		refuse("not an instance node")
	case !zn.isPoolRealm(m.From):
		refuse("only a realm node opens instances")
	case req.DB != "" && req.DBAddr == "" || req.ExitZone != "" && req.ExitAddr == "":
		refuse("a db and an exit need their addresses")
	case zn.loaded != "" || len(zn.players) > 0 || len(zn.pending) > 0 || zn.loading != nil:
		refuse("busy: it holds an instance of " + zn.loaded)
	case zn.cfg.Pool.Templates[template] == nil:
		refuse("no instance template " + template + " here")
	default:
		zn.loading = &loadRequest{m: m, template: zn.cfg.Pool.Templates[template], req: req}
		zn.endRun()
	}
}

// loadInstance builds the requested copy and answers the realm. It runs
// on the loop's goroutine, between two runs.
func (zn *Node) loadInstance() {
	req := zn.loading
	zn.loading = nil
	t := *req.template
	if fresh, err := zn.content.Load().InstanceTemplate(t.Name); err == nil && zn.cfg.Content != nil {
		// The content as last reloaded; the node's cap stays.
		fresh.PlayerCap = t.PlayerCap
		t = *fresh
	}
	z, err := world.NewInstance(t, zn.cfg.Zone.Name, req.req.Seed, zn.clock)
	if err != nil {
		zn.log.Error("zone: cannot load an instance", "template", t.Name, "err", err)
		zn.node.Reply(req.m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.InstanceLoaded(0, 0, err.Error())})
		return
	}
	name := zn.cfg.Zone.Name
	zn.cfg.Zone = z.Config()
	zn.cfg.Zone.Name = name
	zn.cfg.Instance = req.template
	zn.loaded = t.Name
	zn.renamed()
	if err := zn.attach(z); err != nil {
		// The content's scripts would not start: the copy is refused, the
		// node stays in the pool.
		zn.loaded = ""
		zn.renamed()
		zn.log.Error("zone: cannot run an instance's scripts", "template", t.Name, "err", err)
		zn.node.Reply(req.m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.InstanceLoaded(0, 0, err.Error())})
		return
	}
	zn.useRealm(req.req)
	ex := zn.exit
	zn.cfg.Portals = []Portal{{Portal: world.Portal{X0: t.EntryX - 3, Y0: t.EntryY - 3, X1: t.EntryX + 3, Y1: t.EntryY + 3,
		Zone: ex.Zone.Zone, ArriveX: ex.X, ArriveY: ex.Y}, Addr: ex.Zone.Addr}}
	zn.loaded, zn.loadedFor, zn.emptySince = t.Name, req.m.From, zn.clock.Now()
	zn.log.Info("zone: instance loaded", "template", t.Name, "seed", req.req.Seed, "for", req.m.From, "db", zn.cfg.DB)
	zn.node.Reply(req.m, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: zn.enc.InstanceLoaded(t.EntryX, t.EntryY, "")})
}

// poolTick lets an instance go once it has had no one for ReleaseAfter.
func (zn *Node) poolTick(*ecs.World) {
	if zn.cfg.Pool == nil || zn.loaded == "" {
		return
	}
	now := zn.clock.Now()
	if len(zn.players) > 0 || len(zn.pending) > 0 {
		zn.emptySince = now
		return
	}
	if now.Sub(zn.emptySince) < zn.cfg.Pool.ReleaseAfter {
		return
	}
	zn.log.Info("zone: instance empty, released to the pool", "template", zn.loaded)
	released := zn.loaded
	zn.loaded = ""
	zn.renamed()
	zn.cfg.Portals = nil
	zn.metrics.released.Inc()
	zn.tellIdle(released)
	if zn.cfg.Pool.OnRelease != nil {
		zn.cfg.Pool.OnRelease()
	}
}

// exitPoint is where a copy's exit leads.
type exitPoint struct {
	Zone Neighbour
	X, Y float32
	set  bool
}

// useRealm makes the copy the requesting realm's: its players are claimed
// and saved in its db, and its exit leads into its world. Empty fields
// keep the node's own (a pool of one realm).
func (zn *Node) useRealm(req codec.LoadInstance) {
	if req.DB != "" && req.DB != zn.cfg.DB {
		if !zn.node.Connected(req.DB) {
			zn.node.AddPeer(req.DB, req.DBAddr)
		}
		zn.cfg.DB, zn.db = req.DB, dbclient.New(zn.node, req.DB, zn.cfg.DBTimeout)
	}
	p := zn.cfg.Pool
	zn.exit = exitPoint{Zone: p.Exit, X: p.ExitX, Y: p.ExitY, set: len(p.Realms) == 0}
	if req.ExitZone != "" {
		zn.exit = exitPoint{Zone: Neighbour{Zone: req.ExitZone, Addr: req.ExitAddr}, X: req.ExitX, Y: req.ExitY, set: true}
	}
}

// isPoolRealm reports whether id is a realm node this pool node serves.
func (zn *Node) isPoolRealm(id string) bool {
	if id == "" {
		return false
	}
	if id == zn.cfg.Realm.Zone {
		return true
	}
	if zn.cfg.Pool != nil {
		for _, r := range zn.cfg.Pool.Realms {
			if r.Zone == id {
				return true
			}
		}
	}
	return false
}

// tellIdle tells the realm nodes (or only those named) that this instance
// node holds no instance.
func (zn *Node) tellIdle(released string, only ...string) {
	to := only
	if len(to) == 0 {
		if zn.cfg.Realm.Zone != "" {
			to = append(to, zn.cfg.Realm.Zone)
		}
		for _, r := range zn.cfg.Pool.Realms {
			to = append(to, r.Zone)
		}
	}
	payload := codec.NewRealmEncoder().PoolIdle(released)
	for _, id := range to {
		if err := zn.node.Send(id, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload}); err != nil {
			zn.log.Warn("zone: a realm did not hear this instance node is idle", "realm", id, "err", err)
		}
	}
}

// enterInstance asks the realm for an instance of template for the
// player's party, and hands the party off into it.
func (zn *Node) enterInstance(p *player, template string) {
	party := zn.party(p)
	for _, q := range party {
		q.handoff = &handoff{started: zn.clock.Now()} // waiting for the instance
		zn.freeze(q)
	}
	if zn.cfg.Realm.Zone == "" {
		zn.noInstance(party, "this zone has no realm to ask for an instance")
		return
	}
	if !zn.node.Connected(zn.cfg.Realm.Zone) {
		zn.node.AddPeer(zn.cfg.Realm.Zone, zn.cfg.Realm.Addr)
	}
	payload := codec.NewRealmEncoder().InstanceRequest(template, len(party))
	err := zn.node.Ask(zn.cfg.Realm.Zone, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload}, zn.cfg.HandoffTimeout+time.Second,
		func(m node.Message, err error) {
			g, err := readGranted(m, err)
			if err != nil {
				g.Reason = "the realm did not answer: " + err.Error()
			}
			if g.Node == "" {
				zn.noInstance(party, g.Reason)
				return
			}
			to := Neighbour{Zone: g.Node, Addr: g.Addr}
			for _, q := range party {
				if zn.players[q.character] == q && q.handoff != nil && q.handoff.to.Zone == "" {
					zn.startHandoff(q, to, g.EntryX, g.EntryY)
				}
			}
		})
	if err != nil {
		zn.noInstance(party, "the realm cannot be reached")
	}
}

// noInstance unfreezes a party whose instance could not be opened, and
// tells each member why.
func (zn *Node) noInstance(party []*player, why string) {
	for _, q := range party {
		if zn.players[q.character] != q || q.handoff == nil || q.handoff.to.Zone != "" {
			continue
		}
		zn.unfreeze(q, "no_instance")
		seq := zn.nextSeq()
		zn.deliver(q.character, seq, bytes.Clone(zn.penc.SystemMessage(SystemNoInstance, "The instance could not be opened: "+why+".", seq)))
	}
}

// instanceTemplate returns the template a portal's zone names, if any.
func instanceTemplate(zone string) (string, bool) {
	return strings.CutPrefix(zone, InstancePrefix)
}

// readGranted reads the realm's answer to an instance request.
func readGranted(m node.Message, err error) (codec.InstanceGranted, error) {
	if err != nil {
		return codec.InstanceGranted{}, err
	}
	var msg wire.RealmMessage
	if err := codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg); err != nil {
		return codec.InstanceGranted{}, err
	}
	if msg.BodyType() != wire.RealmBodyRealmInstanceGranted {
		return codec.InstanceGranted{Reason: "the realm answered " + msg.BodyType().String()}, nil
	}
	var w wire.RealmInstanceGranted
	codec.Member(msg.Body, &w)
	return codec.ReadInstanceGranted(&w), nil
}
