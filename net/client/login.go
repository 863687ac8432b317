package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
)

// ErrDenied: the login node refused the account or password, or asked to
// wait (the result's status says which).
var ErrDenied = errors.New("login refused")

// Login logs in to a login node and returns its answer: with status Ok, a
// session handle and the gateways to connect to.
func Login(ctx context.Context, addr string, tlsConf *tls.Config, account, password, realm string) (codec.LoginResult, error) {
	s, err := pquic.Dial(ctx, addr, tlsConf)
	if err != nil {
		return codec.LoginResult{}, err
	}
	defer s.Close(0, "")
	if err := s.Send(codec.NewPlayerEncoder().LoginRequest(account, password, realm, 1)); err != nil {
		return codec.LoginResult{}, err
	}
	deadline, _ := ctx.Deadline()
	b, err := s.Recv(deadline)
	if err != nil {
		return codec.LoginResult{}, err
	}
	var m wire.ServerMessage
	if err := codec.DecodeServerMessage(b, &m); err != nil || m.BodyType() != wire.ServerBodyLoginResult {
		return codec.LoginResult{}, fmt.Errorf("login: unexpected answer: %v", err)
	}
	var w wire.LoginResult
	codec.Member(m.Body, &w)
	r := codec.LoginResult{Status: w.Status(), SessionHandle: append([]byte(nil), w.SessionHandleBytes()...),
		ExpiresUnixMs: w.ExpiresUnixMs(), Message: string(w.Message())}
	for i := 0; i < w.GatewaysLength(); i++ {
		r.Gateways = append(r.Gateways, string(w.Gateways(i)))
	}
	if r.Status != wire.LoginStatusOk {
		return r, fmt.Errorf("%w: %s: %s", ErrDenied, r.Status, r.Message)
	}
	return r, nil
}
