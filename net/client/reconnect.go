package client

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// ReconnectEvent tells the application of a lost connection and what came
// of it (Options.OnReconnect).
type ReconnectEvent struct {
	// Lost is what ended the connection; Reason is the gateway's reason,
	// if it gave one (Shutdown when it stopped).
	Lost   error
	Reason wire.DisconnectReason
	// Back is whether a new connection took over; Gateway is where, and
	// Took how long it took from the loss to the new welcome.
	Back    bool
	Gateway string
	Took    time.Duration
	// Welcome is the new connection's welcome (its entity and resume
	// token), when Back.
	Welcome codec.Welcome
	// Err is why it did not come back.
	Err error
}

// final are the reasons a gateway ends a connection on purpose: coming
// back would be refused, or should not be tried (a realm that restarts or
// stops for its db forgets resume tokens: the player logs in again).
var final = []wire.DisconnectReason{wire.DisconnectReasonReplaced, wire.DisconnectReasonMovementViolations,
	wire.DisconnectReasonMessageFlood, wire.DisconnectReasonProtocolError, wire.DisconnectReasonSessionInvalid,
	wire.DisconnectReasonDatabaseFailure, wire.DisconnectReasonRealmRestart, wire.DisconnectReasonKicked}

// reconnect brings a lost connection back when the options ask for it,
// and reports whether it did.
func (c *Conn) reconnect(lost error) bool {
	reason, _, _ := pquic.CloseReason(lost)
	c.mu.Lock()
	token, gateway, last := c.cur.ResumeToken, c.gateway, c.lastEvent
	if reason == 0 {
		reason = c.Stats.Disconnect
	}
	c.mu.Unlock()
	if !c.opts.Reconnect || c.closing.Load() || len(token) == 0 || slices.Contains(final, reason) {
		return false
	}
	start := time.Now()
	ev := ReconnectEvent{Lost: lost, Reason: reason}
	s, at, err := c.redial(token, gateway, &resumption{lastEvent: last}, start.Add(c.opts.ReconnectFor))
	ev.Took = time.Since(start)
	if err != nil {
		ev.Err = err
		c.tell(ev)
		return false
	}
	ev.Back, ev.Gateway, ev.Welcome = true, at, c.Welcomed()
	c.tell(ev)
	return s != nil
}

// redial tries the gateways in turn, the next one after the lost one
// first, with backoff, until one welcomes the token or the deadline
// passes. The new connection takes over the Conn.
func (c *Conn) redial(token []byte, lostGateway string, resume *resumption, deadline time.Time) (*pquic.Session, string, error) {
	candidates := c.opts.Gateways
	if len(candidates) == 0 {
		candidates = []string{lostGateway}
	}
	next := (slices.Index(candidates, lostGateway) + 1) % len(candidates)
	backoff := 50 * time.Millisecond
	var lastErr error
	for try := 0; time.Now().Before(deadline) && !c.closing.Load(); try++ {
		gateway := candidates[(next+try)%len(candidates)]
		// A gateway that does not answer is passed over after gatewayTry;
		// one that took the token is waited for, up to the deadline: the
		// realm spends a token when it starts placing it, and presenting it
		// again, after giving up on a slow placement, is refused for good.
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		s, w, at, err := handshake(ctx, gateway, c.tlsConf, token, resume, &c.opts, min(gatewayTry, time.Until(deadline)))
		cancel()
		if err == nil {
			c.mu.Lock()
			if c.closing.Load() {
				// Close came while this handshake ran: it closed the session
				// it saw, not this one.
				c.mu.Unlock()
				s.Close(0, "bye")
				return nil, "", errors.New("closed while reconnecting")
			}
			c.s, c.gateway, c.cur = s, at, w
			c.world = World{} // the new gateway's snapshots start afresh
			// Until the zone tells it again (at the first input after a
			// reconnect, or as it takes the player back after its own
			// restart): its members' entities may be others now, and a
			// zone that restarted with this gateway tells no one in none.
			c.party, c.partyElsewhere = nil, nil
			c.selfX, c.selfY, c.self = w.X, w.Y, w.EntityID
			c.Stats.Reconnects++
			c.Stats.Disconnect = 0
			c.mu.Unlock()
			go c.events(s)
			return s, at, nil
		}
		lastErr = err
		if closed, ok := errors.AsType[*ClosedError](err); ok && slices.Contains(final, closed.Reason) {
			return nil, "", err // the token was refused or used: trying again cannot help
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
	if lastErr == nil {
		lastErr = context.DeadlineExceeded
	}
	return nil, "", lastErr
}

func (c *Conn) tell(ev ReconnectEvent) {
	if c.opts.OnReconnect != nil {
		c.opts.OnReconnect(ev)
	}
}
