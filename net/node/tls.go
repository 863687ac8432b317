package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gridrealm/gridrealm/net/pki"
)

// LinkTLS encrypts and mutually authenticates a node's links with the
// cluster's own CA (net/pki): each side presents the certificate the CA
// signed for its id, and accepts only a peer whose certificate names the
// id its hello claims. The hello's proof of the cluster secret still runs
// inside. Links that leave a machine need it; on one machine it costs CPU
// for nothing.
type LinkTLS struct {
	// Cert is this node's certificate (pki.IssueNode) and key.
	Cert tls.Certificate
	// CA verifies peers' certificates.
	CA *x509.CertPool
}

// ErrPeerCert: a peer's certificate does not name the node it claims to be.
var ErrPeerCert = errors.New("peer certificate does not name its node id")

func (t *LinkTLS) config() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{t.Cert},
		RootCAs: t.CA, ClientCAs: t.CA, ClientAuth: tls.RequireAndVerifyClientCert}
}

// secureDial wraps a dialed connection: the server must be the node dialed.
func (n *Node) secureDial(ctx context.Context, nc net.Conn, peerID string) (net.Conn, error) {
	if n.cfg.TLS == nil {
		return nc, nil
	}
	cfg := n.cfg.TLS.config()
	cfg.ServerName = pki.NodeName(peerID)
	tc := tls.Client(nc, cfg)
	hctx, cancel := context.WithTimeout(ctx, n.cfg.HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return nil, fmt.Errorf("%w: tls with %s: %v", ErrHandshake, peerID, err)
	}
	return tc, nil
}

// secureAccept wraps an accepted connection: the client must present a
// certificate of the cluster's CA (whose name is checked after its hello).
func (n *Node) secureAccept(nc net.Conn) (net.Conn, error) {
	if n.cfg.TLS == nil {
		return nc, nil
	}
	tc := tls.Server(nc, n.cfg.TLS.config())
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("%w: tls: %v", ErrHandshake, err)
	}
	return tc, nil
}

// checkPeerCert ties a TLS link to the id the peer's hello claims.
func checkPeerCert(nc net.Conn, id string) error {
	tc, ok := nc.(*tls.Conn)
	if !ok {
		return nil
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 || certs[0].VerifyHostname(pki.NodeName(id)) != nil {
		return fmt.Errorf("%w: hello says %q", ErrPeerCert, id)
	}
	return nil
}

// tlsDeadline bounds a TLS handshake on a raw connection the caller may
// not have put a deadline on.
func tlsDeadline(nc net.Conn, d time.Duration) { nc.SetDeadline(time.Now().Add(d)) }
