package gateway

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/wire"
)

// SystemAnnouncement is the system message code of an operator's
// announcement (a restart countdown, a broadcast).
const SystemAnnouncement = 100

// registerActions adds the gateway's admin actions to its node's admin
// endpoint (each needs the realm's admin token):
//
//	POST /admin/broadcast  text=… [zone=…] [realm=…]   a system message to every player (of a zone, of a realm)
//	POST /admin/closing    reason=… text=…   the reason the next Stop gives players
//	POST /admin/kick       account=… text=…  disconnects the account's player (Kicked, with the text)
func (g *Node) registerActions() {
	g.node.HandleAction("/admin/kick", func(w http.ResponseWriter, req *http.Request) {
		account, text := req.FormValue("account"), req.FormValue("text")
		if account == "" || text == "" || len(text) > codec.MaxText {
			http.Error(w, fmt.Sprintf("account and text (1..%d bytes) are needed", codec.MaxText), http.StatusBadRequest)
			return
		}
		if !g.Kick(account, text) {
			http.Error(w, "no player of that account here", http.StatusNotFound)
			return
		}
		fmt.Fprintln(w, "kicked")
	})
	g.node.HandleAction("/admin/broadcast", func(w http.ResponseWriter, req *http.Request) {
		text := req.FormValue("text")
		if text == "" || len(text) > codec.MaxText {
			http.Error(w, fmt.Sprintf("text: 1..%d bytes", codec.MaxText), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d\n", g.BroadcastTo(req.FormValue("realm"), req.FormValue("zone"), text))
	})
	g.node.HandleAction("/admin/closing", func(w http.ResponseWriter, req *http.Request) {
		code, err := strconv.Atoi(req.FormValue("reason"))
		if err != nil || code <= 0 || code > 255 {
			http.Error(w, "reason: a DisconnectReason number", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.closing, g.closingText = wire.DisconnectReason(code), req.FormValue("text")
		g.mu.Unlock()
		fmt.Fprintln(w, "ok")
	})
}

// Broadcast sends a system message to every player of the gateway and
// returns how many it was queued for.
func (g *Node) Broadcast(text string) int { return g.BroadcastTo("", "", text) }

// BroadcastTo sends a system message to the gateway's players of a realm
// (by name; "": every realm, and a gateway of one realm takes any name as
// its own) in a zone ("": every zone), and returns how many it was queued
// for.
func (g *Node) BroadcastTo(realm, zone, text string) int {
	msg := codec.NewPlayerEncoder().SystemMessage(SystemAnnouncement, text, 0)
	node := ""
	if realm != "" && len(g.cfg.Realms) > 0 {
		if node = g.cfg.Realms[realm]; node == "" {
			return 0 // a realm this gateway does not serve
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, p := range g.players {
		if zone != "" && p.zone != zone || node != "" && p.realm != node {
			continue
		}
		select {
		case p.events <- append([]byte(nil), msg...):
			n++
		default: // not reading its stream: its writer closes it soon
		}
	}
	return n
}

// Kick disconnects the player of an account with the reason Kicked and the
// text; false when no player of the account is on this gateway.
func (g *Node) Kick(account, text string) bool {
	g.mu.Lock()
	var target *player
	for _, p := range g.players {
		if p.account == account {
			target = p
			break
		}
	}
	g.mu.Unlock()
	if target == nil {
		return false
	}
	target.kicked.Store(true)
	g.disconnect(target, wire.DisconnectReasonKicked, text)
	return true
}
