package integration

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// postAction posts an admin action to a node's admin address, with the
// realm's token when withToken.
func (r *devRealm) postAction(t *testing.T, id, path string, form url.Values, withToken bool) int {
	t.Helper()
	code, _ := r.postActionBody(t, id, path, form, withToken)
	return code
}

// postActionBody is postAction with the answer's body.
func (r *devRealm) postActionBody(t *testing.T, id, path string, form url.Values, withToken bool) (int, string) {
	t.Helper()
	resp, body := r.consoleCall(t, http.MethodPost, "http://"+r.entry(id).Admin+path, form, withToken)
	return resp.StatusCode, strings.TrimSpace(body)
}

// TestOperatorKicksAPlayer: a kick through the gateway's admin action
// (refused without the realm's token) disconnects the player with Kicked
// and the operator's text; the client does not come back by itself, and
// its resume token no longer works.
func TestOperatorKicksAPlayer(t *testing.T) {
	r := startDevRealm(t, upBase(995), 2)
	var token []byte
	c := r.bot(t, 0)
	token = c.Welcomed().ResumeToken
	gw := ""
	for _, id := range []string{"DEV-GATEWAY-1", "DEV-GATEWAY-2"} {
		if r.entry(id).Public == c.Gateway() {
			gw = id
		}
	}
	form := url.Values{"account": {"bot0"}, "text": {"griefing the crypt"}}
	if code := r.postAction(t, gw, "/admin/kick", form, false); code != http.StatusUnauthorized {
		t.Fatalf("a kick without the token: %d, want 401", code)
	}
	if code := r.postAction(t, gw, "/admin/kick", url.Values{"account": {"nobody"}, "text": {"x"}}, true); code != http.StatusNotFound {
		t.Fatalf("a kick of no one: %d, want 404", code)
	}
	if code := r.postAction(t, gw, "/admin/kick", form, true); code != http.StatusOK {
		t.Fatalf("the kick: %d", code)
	}
	waitUntil(t, "the bot to be let go", 5*time.Second, func() bool { return c.Counters().Disconnect == wire.DisconnectReasonKicked })
	time.Sleep(1500 * time.Millisecond) // it would have come back by now
	if st := c.Counters(); st.Reconnects != 0 {
		t.Fatalf("a kicked client came back: %+v", st)
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "griefing the crypt") {
		t.Fatalf("the client's error %v does not carry the reason", err)
	}
	// A hand-made resume with the kicked player's token is refused.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := pquic.Dial(ctx, c.Gateway(), r.tls)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(0, "")
	if err := s.Send(codec.NewPlayerEncoder().Connect(token, 0, 1, true, 0, "dev")); err != nil {
		t.Fatal(err)
	}
	_, err = s.Recv(time.Now().Add(10 * time.Second))
	if reason, _, ok := pquic.CloseReason(err); !ok || reason != wire.DisconnectReasonSessionInvalid {
		t.Fatalf("resuming after a kick: %v, want SessionInvalid", err)
	}
}
