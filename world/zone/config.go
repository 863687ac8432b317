package zone

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/world"
	"github.com/gridrealm/gridrealm/world/content"
)

// Defaults of Config's zero fields.
const (
	DefaultCheckpoint     = 10 * time.Second
	DefaultDBTimeout      = 5 * time.Second
	DefaultGatewayGrace   = 2 * time.Second
	DefaultHandoffTimeout = 3 * time.Second
	DefaultPartyCheck     = 5 * time.Second
)

// ErrConfig is wrapped by every configuration error of a zone node.
var ErrConfig = errors.New("zone: invalid config")

// Config configures a zone node; the zero value of a field means its
// default.
type Config struct {
	// Node is the zone's link identity; its Peers must include DB.
	Node node.Config
	// Zone is the zone itself (Name defaults to Node.ID).
	Zone world.ZoneConfig
	// DB is the db node's id. Required.
	DB string
	// NPCs are spread over the map at start (an open zone's; default 0;
	// -1: as many as the content's zone spreads), of the templates it
	// spreads.
	NPCs int
	// Content is the realm's content: rules, NPC and item templates, loot,
	// scripts (nil: the content shipped with the engine). Reload swaps it
	// while the zone runs.
	Content *content.Set
	// ContentZone is the open zone of the content this zone runs (its
	// spread templates, camps, areas and scripted systems; default "open").
	ContentZone string
	// Instance, when set, makes the node run a copy of this instance
	// template instead of an open zone: its map, NPCs and player cap,
	// players appearing at its entry. Zone.Seed seeds the copy.
	Instance *world.InstanceTemplate
	// Checkpoint is how often players' positions and stats are saved, in
	// the clock's time (default DefaultCheckpoint, 10 s).
	Checkpoint time.Duration
	// DBTimeout bounds one db request (default DefaultDBTimeout, 5 s).
	DBTimeout time.Duration
	// GatewayGrace is how long a gateway's link may stay down before its
	// players are saved and taken out of the zone (default
	// DefaultGatewayGrace, 2 s). A player who reconnects through another
	// gateway within it keeps its entity.
	GatewayGrace time.Duration
	// Clock drives the tick, checkpoints and tick timestamps (default: the
	// wall clock).
	Clock ecs.Clock
	// Neighbours are the zones beyond this one's edges: a player walking
	// off an edge is handed off to the zone there (handoff.go).
	Neighbours []Neighbour
	// Realm is the realm node (Zone: its id, and its address), asked for
	// instances by an instance portal and about parties led from other
	// zones; an instance node tells it when it is idle.
	Realm Neighbour
	// PartyCheck is how often the zone asks the realm whether the leaders
	// of parties it holds members of, elsewhere, are still in the realm
	// (party.go; default DefaultPartyCheck, 5 s): how long a member may go
	// on in a party whose leader has left.
	PartyCheck time.Duration
	// Pool, when set, makes the node an instance node of the realm's pool
	// (pool.go): it holds no instance until the realm has it load one.
	Pool *PoolConfig
	// Portals are areas of the map that lead to another zone (content:
	// the map file's portal lines, or the zone node's --portal flags).
	Portals []Portal
	// HandoffTimeout bounds the target's answer in a handoff (default
	// DefaultHandoffTimeout, 3 s).
	HandoffTimeout time.Duration
	// Fault, when set, is called at named points of the handoff
	// ("handoff-after-write" and "handoff-after-claimed" on the source,
	// "enter-after-claim" on the target; "trade-after-request" once a
	// trade is asked of the db): crash tests kill the process there (the
	// zone command's GRIDREALM_FAULT).
	Fault func(point string)
}

// withDefaults returns the config with its defaults filled in, or an error
// wrapping ErrConfig that names the field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.DB == "":
		return c, fmt.Errorf("%w: DB is required", ErrConfig)
	case c.Checkpoint < 0:
		return c, fmt.Errorf("%w: Checkpoint %v is negative", ErrConfig, c.Checkpoint)
	case c.DBTimeout < 0:
		return c, fmt.Errorf("%w: DBTimeout %v is negative", ErrConfig, c.DBTimeout)
	case c.HandoffTimeout < 0:
		return c, fmt.Errorf("%w: HandoffTimeout %v is negative", ErrConfig, c.HandoffTimeout)
	case c.GatewayGrace < 0:
		return c, fmt.Errorf("%w: GatewayGrace %v is negative", ErrConfig, c.GatewayGrace)
	case c.PartyCheck < 0:
		return c, fmt.Errorf("%w: PartyCheck %v is negative", ErrConfig, c.PartyCheck)
	case c.NPCs < -1:
		return c, fmt.Errorf("%w: NPCs %d: want a count, or -1 for the content's", ErrConfig, c.NPCs)
	}
	if c.Checkpoint == 0 {
		c.Checkpoint = DefaultCheckpoint
	}
	if c.DBTimeout == 0 {
		c.DBTimeout = DefaultDBTimeout
	}
	if c.HandoffTimeout == 0 {
		c.HandoffTimeout = DefaultHandoffTimeout
	}
	if c.Pool != nil {
		if len(c.Pool.Templates) == 0 || len(c.Pool.Realms) == 0 && (c.Pool.Exit.Zone == "" || c.Pool.Exit.Addr == "") {
			return c, fmt.Errorf("%w: Pool: want templates, and an exit zone with its address (unless the realms give theirs)", ErrConfig)
		}
		if c.Pool.ReleaseAfter == 0 {
			c.Pool.ReleaseAfter = DefaultReleaseAfter
		}
	}
	for _, p := range c.Portals {
		if _, instance := instanceTemplate(p.Zone); instance && p.X0 < p.X1 && p.Y0 < p.Y1 {
			continue // the realm says where
		}
		if p.Zone == "" || p.Addr == "" || !(p.X0 < p.X1 && p.Y0 < p.Y1) {
			return c, fmt.Errorf("%w: Portals: %+v: want an area, a zone and its address", ErrConfig, p)
		}
	}
	for _, n := range c.Neighbours {
		if n.Edge < East || n.Edge > South || n.Zone == "" || n.Addr == "" {
			return c, fmt.Errorf("%w: Neighbours: %+v: want an edge, a zone and its address", ErrConfig, n)
		}
	}
	if c.ContentZone == "" {
		c.ContentZone = "open"
	}
	if c.PartyCheck == 0 {
		c.PartyCheck = DefaultPartyCheck
	}
	if c.GatewayGrace == 0 {
		c.GatewayGrace = DefaultGatewayGrace
	}
	if c.Zone.Name == "" {
		c.Zone.Name = c.Node.ID
	}
	if c.Node.Role == "" {
		c.Node.Role = registry.RoleZone
	}
	c.Clock = ecs.OrReal(c.Clock)
	return c, nil
}
