package login

import (
	"crypto/rand"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// denied is the one answer to every failed password check.
var denied = codec.LoginResult{Status: wire.LoginStatusDenied, Message: "wrong account name or password"}

// busy is the answer to an attempt the node had no time for.
var busy = codec.LoginResult{Status: wire.LoginStatusBusy, Message: "login is busy: try again in a few seconds"}

func (l *Node) worker() {
	defer l.workers.Done()
	for {
		j, ok := l.queue.pop()
		if !ok {
			return
		}
		if !l.clock.Now().Before(j.deadline) {
			j.reply <- busy // its player was answered already
			continue
		}
		res := l.check(j)
		l.queue.done(j.host, res.Status != wire.LoginStatusDenied, l.clock.Now())
		j.reply <- res
	}
}

// check runs the password check and, on success, creates the session.
func (l *Node) check(j job) codec.LoginResult {
	a, err := l.accounts.Account(j.account)
	if err != nil {
		CheckPassword(l.dummy, j.password) // the same cost as a real check
		return denied
	}
	ok, err := CheckPassword(a.Hash, j.password)
	if err != nil {
		l.log.Error("login: account has a bad hash", "account", j.account, "err", err)
		return denied
	}
	if !ok {
		return denied
	}
	handle := make([]byte, codec.SessionHandleSize)
	if _, err := rand.Read(handle); err != nil {
		return codec.LoginResult{Status: wire.LoginStatusBusy, Message: "try again"}
	}
	expires := l.clock.Now().Add(l.cfg.SessionTTL).UnixMilli()
	sc := codec.SessionCreated{Handle: handle, Account: j.account, ExpiresUnixMs: expires, Address: j.addr}
	payload := codec.NewRealmEncoder().SessionCreated(&sc)
	if err := l.node.Send(l.cfg.Realms[j.realm].Node, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload}); err != nil {
		l.log.Error("login: realm node unreachable", "realm", j.realm, "err", err)
		return codec.LoginResult{Status: wire.LoginStatusBusy, Message: "the realm is unavailable"}
	}
	return codec.LoginResult{Status: wire.LoginStatusOk, SessionHandle: handle, ExpiresUnixMs: expires, Message: "welcome"}
}
