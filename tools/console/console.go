package console

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gridrealm/gridrealm/net/node"
	"github.com/gridrealm/gridrealm/net/registry"
)

//go:embed static
var static embed.FS

// Config is what the console needs.
type Config struct {
	// Registry names the nodes.
	Registry *registry.Registry
	// AdminToken is the realm's admin token: every API call must carry it,
	// and the console carries it to the nodes.
	AdminToken string
	// Events returns the reviver's recent events (JSON-encodable).
	Events func() any
	// Restarts counts each node's restarts (from the events).
	Restarts func() map[string]int
}

// Handler serves the page at /console/ and its API at /console/api/.
func Handler(cfg Config) http.Handler {
	c := &server{cfg: cfg, client: &http.Client{Timeout: 3 * time.Second}, stream: &http.Client{}}
	mux := http.NewServeMux()
	files, _ := fs.Sub(static, "static")
	mux.Handle("/console/", http.StripPrefix("/console/", http.FileServer(http.FS(files))))
	mux.HandleFunc("/console/api/overview", c.guard(http.MethodGet, c.overview))
	mux.HandleFunc("/console/api/zone/view", c.guard(http.MethodGet, c.zoneProxy("/zone/view")))
	mux.HandleFunc("/console/api/zone/terrain", c.guard(http.MethodGet, c.zoneProxy("/zone/terrain")))
	mux.HandleFunc("/console/api/broadcast", c.guard(http.MethodPost, c.broadcast))
	mux.HandleFunc("/console/api/kick", c.guard(http.MethodPost, c.kick))
	return mux
}

type server struct {
	cfg    Config
	client *http.Client // short calls to the nodes
	stream *http.Client // a zone's live view: no timeout
	costs  costs        // gateways' recent CPU readings
}

// guard admits a call with the admin token and the method.
func (c *server) guard(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if req.Method != method {
			http.Error(w, method+" only", http.StatusMethodNotAllowed)
			return
		}
		if !node.AuthorizedAdmin(req, c.cfg.AdminToken) {
			http.Error(w, "the console needs the realm's admin token", http.StatusUnauthorized)
			return
		}
		h(w, req)
	}
}

// call sends a request to a node's admin address with the admin token.
func (c *server) call(client *http.Client, req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+c.cfg.AdminToken)
	return client.Do(req)
}

// zoneProxy forwards a zone's live view (or terrain) to the page: the
// browser reaches only the console, which reaches the zones.
func (c *server) zoneProxy(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		e, ok := c.cfg.Registry.Node(req.URL.Query().Get("id"))
		if !ok || (e.Role != registry.RoleZone && e.Role != registry.RoleInstance) || e.Admin == "" {
			http.Error(w, "no zone of that id with an admin address", http.StatusNotFound)
			return
		}
		out, err := http.NewRequestWithContext(req.Context(), http.MethodGet, "http://"+e.Admin+path, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp, err := c.call(c.stream, out)
		if err != nil {
			http.Error(w, fmt.Sprintf("zone %s: %v", e.ID, err), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(resp.StatusCode)
		flusher, _ := w.(http.Flusher)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				if flusher != nil {
					flusher.Flush()
				}
			}
			if err != nil {
				return
			}
		}
	}
}

// gateways returns the gateways that serve a realm ("" every gateway).
func (c *server) gateways(realm string) []registry.Entry {
	var out []registry.Entry
	for _, e := range c.cfg.Registry.ByRole("", registry.RoleGateway) {
		if realm == "" || e.Realm == realm || e.Realm == "" {
			out = append(out, e)
		}
	}
	return out
}

// post sends an admin action to a node and returns its status and answer.
func (c *server) post(e registry.Entry, path string, form url.Values) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+e.Admin+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.call(c.client, req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(body)), nil
}

// broadcast sends a system message to every player of a realm (every
// realm without one), or of a zone: each gateway tells its players.
func (c *server) broadcast(w http.ResponseWriter, req *http.Request) {
	text, realm, zone := req.FormValue("text"), req.FormValue("realm"), req.FormValue("zone")
	if text == "" {
		http.Error(w, "text is needed", http.StatusBadRequest)
		return
	}
	if zone != "" {
		e, ok := c.cfg.Registry.Node(zone)
		if !ok || (e.Role != registry.RoleZone && e.Role != registry.RoleInstance) {
			http.Error(w, "no zone "+zone, http.StatusNotFound)
			return
		}
		realm = e.Realm
	}
	var errs []error
	reached := 0
	for _, g := range c.gateways(realm) {
		code, body, err := c.post(g, "/admin/broadcast", url.Values{"text": {text}, "zone": {zone}, "realm": {realm}})
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("%d %s", code, body)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", g.ID, err))
			continue
		}
		var n int
		fmt.Sscan(body, &n)
		reached += n
	}
	if len(errs) > 0 {
		http.Error(w, fmt.Sprintf("reached %d players; %v", reached, errors.Join(errs...)), http.StatusBadGateway)
		return
	}
	fmt.Fprintf(w, "%d\n", reached)
}

// kick asks every gateway to let an account's player go; one holds it.
func (c *server) kick(w http.ResponseWriter, req *http.Request) {
	account, text := req.FormValue("account"), req.FormValue("text")
	if account == "" || text == "" {
		http.Error(w, "account and text (the reason the player is told) are needed", http.StatusBadRequest)
		return
	}
	for _, g := range c.gateways("") {
		if code, _, err := c.post(g, "/admin/kick", url.Values{"account": {account}, "text": {text}}); err == nil && code == http.StatusOK {
			fmt.Fprintf(w, "kicked from %s\n", g.ID)
			return
		}
	}
	http.Error(w, "no gateway holds a player of that account", http.StatusNotFound)
}
