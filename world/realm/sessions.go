package realm

import (
	"crypto/rand"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/wire"
)

// session is a login node's session handle, or a player's resume token
// (character set: it brings back that character only).
type session struct {
	account   string
	character uint64
	expires   time.Time
	used      bool
	issued    time.Time // a resume token's: a kick voids those issued before it
}

// connected is how long a resume token of a connected player lasts: until
// its placement ends, when it gets ResumeTTL.
var connected = time.Unix(1<<40, 0)

// newResume makes the placed character's resume token; r.mu is held. The
// token of the placement it replaces lasts ResumeTTL more, no longer: the
// client may never have heard of this placement (its Welcome lost, or its
// wait given up) and come back with the token it has.
func (r *Node) newResume(account string, character uint64) [32]byte {
	if old, ok := r.players[character]; ok {
		r.spend(r.resumes[old.resume])
	}
	r.pruneResumes()
	var token [32]byte
	rand.Read(token[:]) // crypto/rand: never fails on Linux
	r.resumes[token] = &session{account: account, character: character, expires: connected, issued: r.clock.Now()}
	return token
}

// pruneResumes drops used and expired resume tokens once they outnumber
// the placed players (whose tokens live) by a margin; r.mu is held.
func (r *Node) pruneResumes() {
	if len(r.resumes) < 2*len(r.players)+1024 {
		return
	}
	now := r.clock.Now()
	for t, s := range r.resumes {
		if s.used || now.After(s.expires) {
			delete(r.resumes, t)
		}
	}
}

// spend gives a resume token that placed its character again (or whose
// character was placed again) ResumeTTL to live, if it had more: it is good
// for as long as its client may not know the token of the placement it
// started. r.mu is held.
func (r *Node) spend(s *session) {
	if s != nil {
		if end := r.clock.Now().Add(r.cfg.ResumeTTL); end.Before(s.expires) {
			s.expires = end
		}
	}
}

// revoke voids a kicked character's resume tokens: the current one, and
// those still in their ResumeTTL (issued before now); r.mu is held.
func (r *Node) revoke(p Placement) {
	delete(r.resumes, p.resume)
	now := r.clock.Now()
	for c, at := range r.revoked { // kicks are rare: the map holds the last ResumeTTL's
		if now.Sub(at) > r.cfg.ResumeTTL { // every token issued before has expired
			delete(r.revoked, c)
		}
	}
	r.revoked[p.Character] = now
}

// resumeFrom starts the resume token's short life once its placement ended;
// r.mu is held.
func (r *Node) resumeFrom(p Placement) {
	if s := r.resumes[p.resume]; s != nil && !s.used {
		s.expires = r.clock.Now().Add(r.cfg.ResumeTTL)
	}
}

func (r *Node) addSession(sc codec.SessionCreated) {
	if len(sc.Handle) != 32 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
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
	r.connectBy(m, handle, r.clock.Now().Add(sessionWait))
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
	if s == nil {
		s = r.resumes[[32]byte(handle)]
	}
	if s == nil && r.clock.Now().Before(wait) {
		r.mu.Unlock()
		h := append([]byte(nil), handle...)
		r.node.After(50*time.Millisecond, func() { r.connectBy(m, h, wait) })
		return
	}
	ok := s != nil && !s.used && r.clock.Now().Before(s.expires)
	if ok && s.character != 0 {
		if at, kicked := r.revoked[s.character]; kicked && !s.issued.After(at) {
			ok = false // an older token of a kicked character
		}
	}
	switch {
	case ok && s.character == 0:
		s.used = true // a login's handle connects once
		r.connected([32]byte(handle))
	case ok:
		r.spend(s) // a resume token: until ResumeTTL from its first use
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
		if s.character != 0 && s.character != c.ID {
			refuse(wire.RealmStatusInvalidSession, "the resume token is another character's")
			return
		}
		r.enter(m, s.account, c.ID, zone, s.character == 0) // a login's handle names no character; a resume token does
	})
}
