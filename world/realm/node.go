// Package realmnode runs the realm node, the realm's directory: which
// sessions the login nodes opened, which gateway holds which player, and
// which zone holds which character.
//
// A gateway presents a player's session handle (RealmConnect). The realm
// checks it (known, not expired, not used: a handle connects once), finds
// the account's character (creating the account's default character, named
// after the account, the first time), and asks the character's zone to
// bring it in: the zone claims it in the db with a new epoch and loads it.
// The answer tells the gateway the zone, its address, and where the
// character stands.
package realm

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/dbclient"
)

// Config configures a realm node; the zero value of a field means its
// default.
type Config struct {
	// Node is the realm node's identity; its Peers must include DB and
	// every zone.
	Node node.Config
	// DB is the db node's id.
	DB string
	// Zones are the realm's zone nodes: id -> link address (told to
	// gateways).
	Zones map[string]string
	// DefaultZone is where new characters start and where characters of an
	// unknown zone go. Required.
	DefaultZone string
	// MaxSessions bounds the sessions waiting to connect (default 100,000).
	MaxSessions int
}

// RealmNode is a running realm node.
type Node struct {
	cfg  Config
	node *node.Node
	db   *dbclient.Client
	log  *slog.Logger

	mu       sync.Mutex // guards what Directory reads; the main loop writes
	sessions map[[32]byte]*session
	players  map[uint64]Placement
}

type session struct {
	account string
	expires time.Time
	used    bool
}

// Placement is where a player is.
type Placement struct {
	Account   string
	Character uint64
	Gateway   string
	Zone      string
}

// Start starts the realm node.
func Start(cfg Config) (*Node, error) {
	if cfg.DB == "" || cfg.DefaultZone == "" || cfg.Zones[cfg.DefaultZone] == "" {
		return nil, errors.New("realm node: DB and a DefaultZone among Zones are required")
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = 100000
	}
	if cfg.Node.Role == "" {
		cfg.Node.Role = "realm"
	}
	r := &Node{cfg: cfg, sessions: map[[32]byte]*session{}, players: map[uint64]Placement{}}
	r.log = cfg.Node.Logger
	if r.log == nil {
		r.log = slog.Default()
	}
	cfg.Node.Handler = r
	n, err := node.New(cfg.Node)
	if err != nil {
		return nil, err
	}
	r.node = n
	r.db = dbclient.New(n, cfg.DB, 5*time.Second)
	return r, n.Start()
}

// Node returns the realm node's node.
func (r *Node) Node() *node.Node { return r.node }

// Stop stops the realm node.
func (r *Node) Stop() { r.node.Stop() }

// Directory returns where every player is.
func (r *Node) Directory() []Placement {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Placement, 0, len(r.players))
	for _, p := range r.players {
		out = append(out, p)
	}
	return out
}

// HandlePeer: links come and go; gateways and zones reconnect.
func (r *Node) HandlePeer(*node.Node, node.PeerEvent) {}

// HandleMessage runs on the node's main loop.
func (r *Node) HandleMessage(n *node.Node, m node.Message) {
	if m.Kind != kinds.Realm {
		r.log.Warn("realm: unexpected message kind", "peer", m.From, "kind", m.Kind)
		return
	}
	var msg wire.RealmMessage
	if err := codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg); err != nil {
		r.log.Warn("realm: bad message", "peer", m.From, "err", err)
		return
	}
	switch msg.BodyType() {
	case wire.RealmBodySessionCreated:
		var w wire.SessionCreated
		codec.Member(msg.Body, &w)
		r.addSession(codec.ReadSessionCreated(&w))
	case wire.RealmBodyRealmConnect:
		var w wire.RealmConnect
		codec.Member(msg.Body, &w)
		r.connect(m, w.HandleBytes())
	case wire.RealmBodyRealmPlayerLeft:
		var w wire.RealmPlayerLeft
		codec.Member(msg.Body, &w)
		r.left(m.From, w.Character())
	default:
		r.log.Warn("realm: unexpected message", "peer", m.From, "body", msg.BodyType())
	}
}

func (r *Node) addSession(sc codec.SessionCreated) {
	if len(sc.Handle) != 32 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if len(r.sessions) >= r.cfg.MaxSessions {
		for h, s := range r.sessions {
			if now.After(s.expires) || s.used {
				delete(r.sessions, h)
			}
		}
		if len(r.sessions) >= r.cfg.MaxSessions {
			r.log.Error("realm: too many open sessions, refusing one", "account", sc.Account)
			return
		}
	}
	r.sessions[[32]byte(sc.Handle)] = &session{account: sc.Account, expires: time.UnixMilli(sc.ExpiresUnixMs)}
}

// sessionWait is how long a connect waits for a handle the realm has not
// heard of: the login node's message travels on another link and may come
// second.
const sessionWait = 2 * time.Second

// connect answers a gateway's RealmConnect.
func (r *Node) connect(m node.Message, handle []byte) {
	r.connectBy(m, handle, time.Now().Add(sessionWait))
}

func (r *Node) connectBy(m node.Message, handle []byte, wait time.Time) {
	refuse := func(status wire.RealmStatus, why string) {
		r.reply(m, &codec.RealmConnected{Status: status, Message: why})
	}
	if len(handle) != 32 {
		refuse(wire.RealmStatusInvalidSession, "no such session")
		return
	}
	r.mu.Lock()
	s := r.sessions[[32]byte(handle)]
	if s == nil && time.Now().Before(wait) {
		r.mu.Unlock()
		h := append([]byte(nil), handle...)
		r.node.After(50*time.Millisecond, func() { r.connectBy(m, h, wait) })
		return
	}
	ok := s != nil && !s.used && time.Now().Before(s.expires)
	if ok {
		s.used = true // a handle connects once
	}
	r.mu.Unlock()
	if !ok {
		refuse(wire.RealmStatusInvalidSession, "session unknown, expired or used")
		return
	}
	r.character(s.account, func(c *codec.DbCharacter, err error) {
		if err != nil {
			r.log.Warn("realm: no character", "account", s.account, "err", err)
			refuse(wire.RealmStatusUnavailable, "the realm cannot load your character")
			return
		}
		zone := c.Zone
		if r.cfg.Zones[zone] == "" {
			zone = r.cfg.DefaultZone
		}
		r.enter(m, s.account, c.ID, zone)
	})
}

// character finds the account's character, creating it the first time.
func (r *Node) character(account string, done func(*codec.DbCharacter, error)) {
	r.db.Do(codec.DbRequest{Op: wire.DbOpDbFindCharacter, Name: account}, func(rep codec.DbReply, err error) {
		if err == nil {
			done(rep.Character, nil)
			return
		}
		if !errors.Is(err, dbclient.ErrNotFound) {
			done(nil, err)
			return
		}
		r.db.Do(codec.DbRequest{Op: wire.DbOpDbCreateCharacter, Account: account, Name: account}, func(rep codec.DbReply, err error) {
			if err != nil {
				done(nil, fmt.Errorf("create the default character: %w", err))
				return
			}
			done(rep.Character, nil)
		})
	})
}

// enter asks the zone to bring the character in and answers the gateway.
func (r *Node) enter(m node.Message, account string, character uint64, zone string) {
	payload := codec.NewZoneEncoder().EnterPlayer(character, m.From)
	err := r.node.Ask(zone, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: payload}, 10*time.Second, func(zm node.Message, err error) {
		var pe codec.PlayerEntered
		if err == nil {
			var msg wire.ZoneMessage
			if err = codec.DecodeZoneMessage(zm.Payload, len(zm.Payload)+1, &msg); err == nil && msg.BodyType() == wire.ZoneBodyZonePlayerEntered {
				var w wire.ZonePlayerEntered
				codec.Member(msg.Body, &w)
				pe = codec.ReadPlayerEntered(&w)
				if pe.Refused != "" {
					err = errors.New(pe.Refused)
				}
			} else if err == nil {
				err = fmt.Errorf("zone answered %s", msg.BodyType())
			}
		}
		if err != nil {
			r.log.Warn("realm: zone did not take the character", "zone", zone, "character", character, "err", err)
			msg := "the zone is unavailable"
			if pe.Refused != "" {
				msg = "the zone did not take the character: " + pe.Refused
			}
			r.reply(m, &codec.RealmConnected{Status: wire.RealmStatusUnavailable, Message: msg})
			return
		}
		r.mu.Lock()
		r.players[character] = Placement{Account: account, Character: character, Gateway: m.From, Zone: zone}
		r.mu.Unlock()
		r.reply(m, &codec.RealmConnected{Status: wire.RealmStatusOk, Account: account, Zone: zone, ZoneAddr: r.cfg.Zones[zone], Entered: pe})
	})
	if err != nil {
		r.reply(m, &codec.RealmConnected{Status: wire.RealmStatusUnavailable, Message: "the zone is unavailable"})
	}
}

// left takes a player out of its zone.
func (r *Node) left(gateway string, character uint64) {
	r.mu.Lock()
	p, ok := r.players[character]
	if ok && p.Gateway == gateway {
		delete(r.players, character)
	}
	r.mu.Unlock()
	if !ok || p.Gateway != gateway {
		return
	}
	r.node.Send(p.Zone, node.Out{Kind: kinds.Zone, Priority: node.Control, Payload: codec.NewZoneEncoder().LeavePlayer(character)})
}

func (r *Node) reply(m node.Message, c *codec.RealmConnected) {
	if err := r.node.Reply(m, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: codec.NewRealmEncoder().Connected(c)}); err != nil {
		r.log.Warn("realm: answer not sent", "gateway", m.From, "err", err)
	}
}
