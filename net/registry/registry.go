package registry

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Role is what a node does.
type Role string

// The roles of DESIGN.md §1.
const (
	RoleLogin    Role = "login"
	RoleRealm    Role = "realm"
	RoleGateway  Role = "gateway"
	RoleZone     Role = "zone"
	RoleInstance Role = "instance"
	RoleDB       Role = "db"
	RoleBackup   Role = "backup"
	RoleReviver  Role = "reviver"
)

// Roles lists every known role.
func Roles() []Role {
	return []Role{RoleLogin, RoleRealm, RoleGateway, RoleZone, RoleInstance, RoleDB, RoleBackup, RoleReviver}
}

func (r Role) valid() bool {
	for _, k := range Roles() {
		if r == k {
			return true
		}
	}
	return false
}

// MinSecret is the shortest cluster secret accepted, in bytes.
const MinSecret = 16

// Entry is one node.
type Entry struct {
	// ID is unique across the file, e.g. "FORTRAX-ZONE-1".
	ID   string `json:"id"`
	Role Role   `json:"role"`
	// Realm is the realm the node serves; empty for the nodes every realm
	// shares (login and reviver nodes, and the login db and its backup),
	// which serve several.
	Realm string `json:"realm,omitempty"`
	// Addr is host:port of the node's link listener (TCP).
	Addr string `json:"addr"`
	// Public is host:port of the node's player listener (QUIC), for login
	// and gateway nodes.
	Public string `json:"public,omitempty"`
	// Admin is host:port of the node's admin HTTP endpoint; empty picks a
	// free loopback port.
	Admin string `json:"admin,omitempty"`
	// Restart is the command (program and arguments) that starts the node.
	Restart []string `json:"restart,omitempty"`
	// Data is the node's data directory, for nodes that keep state.
	Data string `json:"data,omitempty"`
	// Recovery is what the reviver does when the node crashes: "compensate"
	// (restart it; the others cope) or "stop-and-restore" (tell players,
	// stop the realm, restart the node, whose start checks and restores its
	// state, then start the realm again). Default: stop-and-restore for a
	// db node, compensate for the rest.
	Recovery string `json:"recovery,omitempty"`
	// RestartDaily, on a reviver's entry, restarts the realm every day at
	// this UTC time ("HH:MM"), with a 30-minute countdown told to players.
	RestartDaily string `json:"restart_daily,omitempty"`
}

// The recovery modes.
const (
	Compensate     = "compensate"
	StopAndRestore = "stop-and-restore"
)

// RecoveryMode returns the node's recovery mode, its default filled in.
func (e Entry) RecoveryMode() string {
	switch {
	case e.Recovery != "":
		return e.Recovery
	case e.Role == RoleDB:
		return StopAndRestore
	default:
		return Compensate
	}
}

// DailyTime parses a RestartDaily value: hour and minute of a UTC day.
func DailyTime(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: want HH:MM, UTC", s)
	}
	return t.Hour(), t.Minute(), nil
}

// Registry is the whole file.
type Registry struct {
	// Secret is the cluster secret, hex encoded; or SecretFile names a file
	// holding it (raw bytes or hex), relative to the registry file.
	Secret     string `json:"secret,omitempty"`
	SecretFile string `json:"secret_file,omitempty"`
	// LinkTLS, when set, is the directory (relative to the registry file)
	// of the cluster's certificates (net/pki: ca.pem, and ID.pem with
	// ID-key.pem per node): every node link is then TLS, mutually
	// authenticated by the cluster's CA. Links that leave a machine need it.
	LinkTLS string  `json:"link_tls,omitempty"`
	Nodes   []Entry `json:"nodes"`

	secret []byte
	dir    string
}

// LinkTLSDir is the directory of the cluster's certificates, "" without
// link TLS.
func (r *Registry) LinkTLSDir() string {
	if r.LinkTLS == "" || filepath.IsAbs(r.LinkTLS) {
		return r.LinkTLS
	}
	return filepath.Join(r.dir, r.LinkTLS)
}

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid registry")

// Load reads and validates a registry file.
func Load(path string) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	r, err := Parse(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", path, err)
	}
	return r, nil
}

// Parse decodes and validates registry JSON; dir resolves a relative
// secret_file.
func Parse(data []byte, dir string) (*Registry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Registry
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, jsonError(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the registry object", ErrInvalid)
	}
	if err := r.loadSecret(dir); err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	r.dir = dir
	return &r, nil
}

// jsonError adds the line and column to a JSON error.
func jsonError(data []byte, err error) string {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d column %d: %v", line, col, err)
}

func (r *Registry) loadSecret(dir string) error {
	switch {
	case r.Secret != "" && r.SecretFile != "":
		return fmt.Errorf("%w: give secret or secret_file, not both", ErrInvalid)
	case r.Secret != "":
		s, err := hex.DecodeString(r.Secret)
		if err != nil {
			return fmt.Errorf("%w: secret is not hex: %v", ErrInvalid, err)
		}
		r.secret = s
	case r.SecretFile != "":
		path := r.SecretFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%w: secret_file: %v", ErrInvalid, err)
		}
		raw = bytes.TrimSpace(raw)
		if s, err := hex.DecodeString(string(raw)); err == nil {
			raw = s
		}
		r.secret = raw
	default:
		return fmt.Errorf("%w: no secret or secret_file", ErrInvalid)
	}
	if len(r.secret) < MinSecret {
		return fmt.Errorf("%w: secret is %d bytes, at least %d needed", ErrInvalid, len(r.secret), MinSecret)
	}
	return nil
}

// Validate checks the nodes' entries (ids, roles, realms, addresses) as
// Load does; the secret is checked where it is read.
func (r *Registry) Validate() error { return r.validate() }

func (r *Registry) validate() error {
	if len(r.Nodes) == 0 {
		return fmt.Errorf("%w: no nodes", ErrInvalid)
	}
	ids := map[string]int{}
	addrs := map[string]string{}
	for i := range r.Nodes {
		e := &r.Nodes[i]
		where := fmt.Sprintf("nodes[%d] %q", i, e.ID)
		if err := validID(e.ID); err != nil {
			return fmt.Errorf("%w: %s: id %v", ErrInvalid, where, err)
		}
		if j, dup := ids[e.ID]; dup {
			return fmt.Errorf("%w: %s: duplicate id, first at nodes[%d]", ErrInvalid, where, j)
		}
		ids[e.ID] = i
		if !e.Role.valid() {
			return fmt.Errorf("%w: %s: unknown role %q (one of %s)", ErrInvalid, where, e.Role, roleList())
		}
		if e.Realm == "" && !e.Role.Shareable() {
			return fmt.Errorf("%w: %s: a %s node needs a realm", ErrInvalid, where, e.Role)
		}
		for _, a := range []struct{ name, addr string }{{"addr", e.Addr}, {"public", e.Public}, {"admin", e.Admin}} {
			if a.addr == "" && a.name != "addr" {
				continue
			}
			if err := validAddr(a.addr); err != nil {
				return fmt.Errorf("%w: %s: %s %q: %v", ErrInvalid, where, a.name, a.addr, err)
			}
			if strings.HasSuffix(a.addr, ":0") {
				continue // any free port
			}
			if other, dup := addrs[a.addr]; dup {
				return fmt.Errorf("%w: %s: %s %s is already used by %s", ErrInvalid, where, a.name, a.addr, other)
			}
			addrs[a.addr] = e.ID
		}
		if e.Recovery != "" && e.Recovery != Compensate && e.Recovery != StopAndRestore {
			return fmt.Errorf("%w: %s: recovery %q: want %s or %s", ErrInvalid, where, e.Recovery, Compensate, StopAndRestore)
		}
		if e.RestartDaily != "" {
			if e.Role != RoleReviver {
				return fmt.Errorf("%w: %s: restart_daily belongs on a reviver's entry", ErrInvalid, where)
			}
			if _, _, err := DailyTime(e.RestartDaily); err != nil {
				return fmt.Errorf("%w: %s: restart_daily %v", ErrInvalid, where, err)
			}
		}
		if (e.Role == RoleLogin || e.Role == RoleGateway) && e.Public == "" {
			return fmt.Errorf("%w: %s: a %s node needs a public address", ErrInvalid, where, e.Role)
		}
	}
	return nil
}

func validID(id string) error {
	if id == "" {
		return errors.New("is empty")
	}
	if len(id) > 64 {
		return errors.New("is longer than 64 bytes")
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("has %q; use letters, digits, '-', '_' and '.'", c)
		}
	}
	return nil
}

func validAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("missing host")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

func roleList() string {
	var s []string
	for _, r := range Roles() {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

// ClusterSecret returns the secret every node of the file proves it knows.
func (r *Registry) ClusterSecret() []byte { return r.secret }

// Node returns the entry with the given id.
func (r *Registry) Node(id string) (Entry, bool) {
	for _, e := range r.Nodes {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// Shareable reports whether a node of the role may serve every realm (an
// entry without a realm): login and reviver nodes, the login db (a db
// node) with its backup node, gateways (a player's session names its
// realm) and instance nodes (each copy is one realm's).
func (r Role) Shareable() bool {
	return r != RoleRealm && r != RoleZone
}

// InRealm returns the entries of one role whose realm is exactly realm;
// "" gives the shared ones (the login db among db nodes, for one).
func (r *Registry) InRealm(realm string, role Role) []Entry {
	var out []Entry
	for _, e := range r.Nodes {
		if e.Role == role && e.Realm == realm {
			out = append(out, e)
		}
	}
	return out
}

// ByRole returns the entries of one role in one realm ("" matches any realm).
func (r *Registry) ByRole(realm string, role Role) []Entry {
	var out []Entry
	for _, e := range r.Nodes {
		if e.Role == role && (realm == "" || e.Realm == realm) {
			out = append(out, e)
		}
	}
	return out
}

// Save writes the registry as indented JSON.
func (r *Registry) Save(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}

// SetSecret sets the secret a saved registry will carry, hex encoded.
func (r *Registry) SetSecret(secret []byte) {
	r.secret = secret
	r.Secret = hex.EncodeToString(secret)
	r.SecretFile = ""
}

// AdminToken is the token an operator's tool presents (HTTP Authorization:
// Bearer) to a node's admin actions: derived from the cluster secret, so
// that whoever holds the registry may act and nobody else.
func (r *Registry) AdminToken() string { return AdminToken(r.secret) }

// AdminToken derives the admin token from a cluster secret.
func AdminToken(secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("gridrealm admin token v1"))
	return hex.EncodeToString(mac.Sum(nil))
}
