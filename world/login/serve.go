package login

import (
	"fmt"
	"net"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

func (l *Node) accept() {
	defer l.conns.Done()
	for {
		in, err := l.ln.Accept(l.ctx)
		if err != nil {
			if l.ctx.Err() != nil {
				return
			}
			continue // one client's failure is not the listener's
		}
		l.conns.Add(1)
		go func() {
			defer l.conns.Done()
			s, err := in.Open(l.ctx, l.cfg.Handshake)
			if err != nil {
				return
			}
			l.serve(s)
		}()
	}
}

// serve answers one connection's login request.
func (l *Node) serve(s *pquic.Session) {
	deadline := l.clock.Now().Add(l.cfg.Handshake)
	b, err := s.Recv(deadline)
	if err != nil {
		s.Close(wire.DisconnectReasonProtocolError, "no login request")
		return
	}
	var m wire.ClientMessage
	if err := codec.DecodeClientMessage(b, &m); err != nil || m.BodyType() != wire.ClientBodyLoginRequest {
		l.results.WithLabelValues("malformed").Inc()
		s.Close(wire.DisconnectReasonProtocolError, "expected a login request")
		return
	}
	var req wire.LoginRequest
	codec.Member(m.Body, &req)
	res := l.login(string(req.Account()), string(req.Password()), string(req.Realm()), s.RemoteAddr(), deadline)
	l.results.WithLabelValues(res.Status.String()).Inc()
	if err := s.Send(codec.NewPlayerEncoder().LoginResult(&res)); err != nil {
		s.Close(wire.DisconnectReasonServerError, "")
		return
	}
	s.Finish(2 * time.Second)
}

// login decides one attempt.
func (l *Node) login(account, password, realmName string, addr net.Addr, deadline time.Time) codec.LoginResult {
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !l.limiter.allow(host, l.clock.Now()) {
		return codec.LoginResult{Status: wire.LoginStatusRateLimited, Message: "too many attempts: wait a moment"}
	}
	realm, ok := l.cfg.Realms[realmName]
	if !ok {
		return codec.LoginResult{Status: wire.LoginStatusUnknownRealm, Message: fmt.Sprintf("no realm %q here", realmName)}
	}
	j := job{account: account, password: password, realm: realmName, addr: addr.String(), host: host,
		deadline: deadline, reply: make(chan codec.LoginResult, 1)}
	switch l.queue.push(j, l.clock.Now()) {
	case refusedAddress:
		return codec.LoginResult{Status: wire.LoginStatusRateLimited, Message: "an attempt from this address is under way: wait for it"}
	case refusedAccount:
		return codec.LoginResult{Status: wire.LoginStatusRateLimited, Message: "too many attempts on this account: wait a moment"}
	case refusedFull:
		return busy
	}
	select {
	case res := <-j.reply:
		if res.Status == wire.LoginStatusOk {
			res.Gateways = realm.Gateways
		}
		return res
	case <-l.clock.After(deadline.Sub(l.clock.Now())):
		return busy
	}
}
