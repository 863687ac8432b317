package login

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/kinds"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/persist/store"
)

// denied is the one answer to every failed password check.
var denied = codec.LoginResult{Status: wire.LoginStatusDenied, Message: "wrong account name or password"}

// unavailable is the answer when the accounts cannot be read.
var unavailable = codec.LoginResult{Status: wire.LoginStatusBusy, Message: "accounts are unavailable: try again in a few seconds"}

// busy is the answer to an attempt the node had no time for.
var busy = codec.LoginResult{Status: wire.LoginStatusBusy, RetryAfterMs: 3000, Message: "login is busy: try again in a few seconds"}

func (l *Node) worker() {
	defer l.workers.Done()
	for {
		j, ok := l.queue.pop()
		if !ok {
			return
		}
		if !l.clock.Now().Before(j.deadline) || j.gone.Load() {
			j.reply <- busy // its player was answered already, or left
			continue
		}
		if !j.register && l.toLine(j) {
			continue // the realm filled while it waited: no hash for a player who cannot get in yet
		}
		res, waits := l.check(j)
		l.queue.checked(l.clock.Now())
		if judged, ok := verdict(j, res); judged {
			l.queue.done(j.host, ok, l.clock.Now())
		}
		if !waits {
			j.reply <- res
		}
	}
}

// toLine takes a login waiting for its check to its realm's line, unchecked,
// when the realm said it was full a moment ago or players wait for a place
// (answered Busy when the realm is full and the line has no room for it):
// true when it went, or was answered.
func (l *Node) toLine(j job) bool {
	retry := l.realms.fullNow(j.realm, l.clock.Now())
	if waiting, _ := l.lineBusy(j.realm); retry == 0 && !waiting {
		return false
	}
	if l.waitInLine(j, false) == queued {
		return true
	}
	if retry > 0 {
		j.reply <- realmFull(retry)
		return true
	}
	return false
}

// verdict says whether an attempt's outcome tells anything of its
// address: a wrong password makes it suspect, a right one clears it. A new
// account proves nothing (anyone can make one), and a Busy answer says
// nothing of the password.
func verdict(j job, res codec.LoginResult) (judged, ok bool) {
	if j.register {
		return false, false
	}
	switch res.Status {
	case wire.LoginStatusOk:
		return true, true
	case wire.LoginStatusDenied:
		return true, false
	}
	return false, false
}

// check runs the password check and, on success, creates the session; for
// a new account, it hashes the password and stores the account. waits is
// true when the player was put in its full realm's line: the line answers
// it (res is an Ok for verdict).
func (l *Node) check(j job) (res codec.LoginResult, waits bool) {
	if j.register {
		return l.create(j.account, j.password), false
	}
	if res, ok := l.password(j); !ok {
		return res, false
	}
	checked := codec.LoginResult{Status: wire.LoginStatusOk}
	if waiting, _ := l.lineBusy(j.realm); waiting && l.waitInLine(j, true) == queued {
		return checked, true // behind those who came first
	}
	res, full, err := l.admit(j)
	switch {
	case err != nil:
		l.log.Error("login: realm node unreachable", "realm", j.realm, "err", err)
		return codec.LoginResult{Status: wire.LoginStatusBusy, Message: "the realm is unavailable"}, false
	case full:
		l.realms.markFull(j.realm, res.RetryAfterMs, l.clock.Now())
		if l.waitInLine(j, true) == queued {
			return checked, true
		}
	}
	return res, false
}

// password checks a login's password: ok, or the answer (Denied, or Busy
// when the accounts cannot be read).
func (l *Node) password(j job) (codec.LoginResult, bool) {
	a, err := l.accounts.Account(j.account)
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid):
		CheckPassword(l.dummy, j.password) // the same cost as a real check
		return denied, false
	case err != nil:
		l.log.Warn("login: accounts unavailable", "err", err)
		return unavailable, false
	}
	ok, err := CheckPassword(a.Hash, j.password)
	if err != nil {
		l.log.Error("login: account has a bad hash", "account", j.account, "err", err)
		return denied, false
	}
	if !ok {
		return denied, false
	}
	return codec.LoginResult{Status: wire.LoginStatusOk}, true
}

// admit creates the session of a login whose password was checked and
// hands it to its realm: Ok with the gateway the realm assigned, or the
// realm's answer when every gateway is full (full, res the realm-full
// Busy with its retry hint).
func (l *Node) admit(j job) (res codec.LoginResult, full bool, err error) {
	handle := make([]byte, codec.SessionHandleSize)
	if _, err := rand.Read(handle); err != nil {
		return codec.LoginResult{}, false, err
	}
	expires := l.clock.Now().Add(l.cfg.SessionTTL).UnixMilli()
	sc := codec.SessionCreated{Handle: handle, Account: j.account, ExpiresUnixMs: expires, Address: j.addr}
	if w := j.inLine.Load(); w != nil {
		sc.WaitingSinceUnixMs = w.since.UnixMilli() // the realm node orders the login nodes' lines by it
	}
	gateway, retry, err := l.handOver(j.realm, &sc)
	if err != nil {
		return codec.LoginResult{}, false, err
	}
	if retry > 0 {
		return realmFull(retry), true, nil
	}
	res = codec.LoginResult{Status: wire.LoginStatusOk, SessionHandle: handle, ExpiresUnixMs: expires, Message: "welcome"}
	if gateway != "" {
		res.Gateways = []string{gateway}
	}
	return res, false, nil
}

// realmFull is the answer when every gateway of the realm is full.
func realmFull(retryMs uint32) codec.LoginResult {
	return codec.LoginResult{Status: wire.LoginStatusBusy, RetryAfterMs: retryMs,
		Message: fmt.Sprintf("the realm is full: try again in %d s", (retryMs+999)/1000)}
}

// create hashes a new account's password and stores the account.
func (l *Node) create(account, password string) codec.LoginResult {
	h, err := HashPassword(password, l.cfg.Hash)
	if err != nil {
		return codec.LoginResult{Status: wire.LoginStatusBusy, Message: "try again"}
	}
	switch err := l.accounts.CreateAccount(account, h); {
	case err == nil:
		return codec.LoginResult{Status: wire.LoginStatusOk, Message: "account created"}
	case errors.Is(err, store.ErrExists):
		return codec.LoginResult{Status: wire.LoginStatusExists, Message: "that account name is taken"}
	case errors.Is(err, store.ErrInvalid):
		return codec.LoginResult{Status: wire.LoginStatusInvalid, Message: "an account name is 1..64 bytes without control characters"}
	default:
		l.log.Warn("login: accounts unavailable", "err", err)
		return unavailable
	}
}

// handOver gives the session to the realm node and returns the gateway it
// assigns the player ("" when it knows no gateway's load yet), or, when
// every gateway is full, the retry hint in ms (the session not taken).
func (l *Node) handOver(realm string, sc *codec.SessionCreated) (string, uint32, error) {
	type answer struct {
		gateway string
		full    uint32
		err     error
	}
	done := make(chan answer, 1)
	payload := codec.NewRealmEncoder().SessionCreated(sc)
	err := l.node.Ask(l.cfg.Realms[realm].Node, node.Out{Kind: kinds.Realm, Priority: node.Control, Payload: payload}, handOverTimeout,
		func(m node.Message, err error) {
			var msg wire.RealmMessage
			switch {
			case err != nil:
			case codec.DecodeRealmMessage(m.Payload, len(m.Payload)+1, &msg) != nil || msg.BodyType() != wire.RealmBodyRealmSessionAssigned:
				err = fmt.Errorf("the realm node answered %s", msg.BodyType())
			default:
				var a wire.RealmSessionAssigned
				codec.Member(msg.Body, &a)
				retry := uint32(0)
				if a.Full() {
					retry = max(a.RetryAfterMs(), 1000)
				}
				done <- answer{gateway: string(a.Gateway()), full: retry}
				return
			}
			done <- answer{err: err}
		})
	if err != nil {
		return "", 0, err
	}
	a := <-done
	return a.gateway, a.full, a.err
}

// handOverTimeout bounds the realm node's answer to a new session.
const handOverTimeout = 3 * time.Second
