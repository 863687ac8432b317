package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Validity of what NewCA and the issuers make.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	CertValidity = 2 * 365 * 24 * time.Hour
)

// ErrNoCert: a PEM file holds no certificate (or no key).
var ErrNoCert = errors.New("pki: no certificate or key in the PEM data")

// NewCA makes a cluster's certificate authority: an ECDSA P-256 key and a
// self-signed certificate that may only sign.
func NewCA(name string) (certPEM, keyPEM []byte, err error) {
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: name + " cluster CA"},
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true}
	return create(tmpl, nil, nil, CAValidity)
}

// IssueNode signs a node's link certificate: its id is its name (a DNS
// name, lower-cased), which peers check against the id its hello claims;
// usable to serve and to dial.
func IssueNode(caCertPEM, caKeyPEM []byte, id string) (certPEM, keyPEM []byte, err error) {
	ca, key, err := parseCA(caCertPEM, caKeyPEM)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: id}, DNSNames: []string{NodeName(id)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	return create(tmpl, ca, key, CertValidity)
}

// IssueServer signs a certificate players' clients verify: for the host
// names and IP addresses they connect to.
func IssueServer(caCertPEM, caKeyPEM []byte, hosts []string) (certPEM, keyPEM []byte, err error) {
	ca, key, err := parseCA(caCertPEM, caKeyPEM)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "GridRealm players"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	addHosts(tmpl, hosts)
	return create(tmpl, ca, key, CertValidity)
}

// SelfSigned makes a self-signed server certificate for hosts (names and
// IP addresses) that clients trust as their CA: what a realm on one machine
// uses for its players.
func SelfSigned(name string, hosts []string, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: name},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	addHosts(tmpl, hosts)
	return create(tmpl, nil, nil, validity)
}

func addHosts(tmpl *x509.Certificate, hosts []string) {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
}

// NodeName is the DNS name a node's certificate carries for its id.
func NodeName(id string) string { return strings.ToLower(id) }

func create(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, validity time.Duration) ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(validity)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), nil
}

func parseCA(certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, ErrNoCert
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: CA key: %w", err)
	}
	if !ca.IsCA {
		return nil, nil, errors.New("pki: the certificate is not a CA's")
	}
	return ca, key, nil
}

// Pool returns a pool holding the CA certificate of caPEM.
func Pool(caPEM []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, ErrNoCert
	}
	return pool, nil
}

// Dir is a directory of a cluster's certificates: ca.pem (and ca-key.pem
// where certificates are issued), ID.pem and ID-key.pem per node.
type Dir string

// Init makes a new CA in the directory; it refuses to replace one.
func (d Dir) Init(name string) error {
	if _, err := os.Stat(d.path("ca.pem")); err == nil {
		return fmt.Errorf("pki: %s has a CA already", d)
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	cert, key, err := NewCA(name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.path("ca-key.pem"), key, 0o600); err != nil {
		return err
	}
	return os.WriteFile(d.path("ca.pem"), cert, 0o644)
}

// Issue signs a node's link certificate with the directory's CA.
func (d Dir) Issue(id string) error {
	caCert, caKey, err := d.ca()
	if err != nil {
		return err
	}
	cert, key, err := IssueNode(caCert, caKey, id)
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.path(id+"-key.pem"), key, 0o600); err != nil {
		return err
	}
	return os.WriteFile(d.path(id+".pem"), cert, 0o644)
}

// IssuePlayers signs the players' certificate (players.pem and
// players-key.pem) for hosts with the directory's CA.
func (d Dir) IssuePlayers(hosts []string) error {
	caCert, caKey, err := d.ca()
	if err != nil {
		return err
	}
	cert, key, err := IssueServer(caCert, caKey, hosts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.path("players-key.pem"), key, 0o600); err != nil {
		return err
	}
	return os.WriteFile(d.path("players.pem"), cert, 0o644)
}

// Node loads a node's certificate and the CA's pool.
func (d Dir) Node(id string) (tls.Certificate, *x509.CertPool, error) {
	cert, err := tls.LoadX509KeyPair(d.path(id+".pem"), d.path(id+"-key.pem"))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("pki: node %s: %w", id, err)
	}
	caPEM, err := os.ReadFile(d.path("ca.pem"))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool, err := Pool(caPEM)
	return cert, pool, err
}

func (d Dir) ca() ([]byte, []byte, error) {
	cert, err := os.ReadFile(d.path("ca.pem"))
	if err != nil {
		return nil, nil, err
	}
	key, err := os.ReadFile(d.path("ca-key.pem"))
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s holds no CA key (certificates are issued where it is): %w", d, err)
	}
	return cert, key, nil
}

func (d Dir) path(name string) string { return filepath.Join(string(d), name) }
