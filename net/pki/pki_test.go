package pki

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func parse(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertificatesChainToTheCA(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "certs"))
	if err := d.Init("test"); err != nil {
		t.Fatal(err)
	}
	if err := d.Init("test"); err == nil {
		t.Fatal("a second CA replaced the first")
	}
	if err := d.Issue("DEV-DB-1"); err != nil {
		t.Fatal(err)
	}
	if err := d.IssuePlayers([]string{"play.example.net", "10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	cert, pool, err := d.Node("DEV-DB-1")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "dev-db-1", KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Fatalf("node certificate, usage %v: %v", usage, err)
		}
	}
	if leaf.VerifyHostname(NodeName("DEV-GATEWAY-1")) == nil {
		t.Fatal("a node's certificate names another node")
	}
	players, _ := os.ReadFile(filepath.Join(string(d), "players.pem"))
	p := parse(t, players)
	for _, host := range []string{"play.example.net", "10.1.2.3"} {
		if _, err := p.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Fatalf("players' certificate for %s: %v", host, err)
		}
	}
	// Where the CA key is not, nothing is issued.
	os.Remove(filepath.Join(string(d), "ca-key.pem"))
	if err := d.Issue("DEV-DB-2"); err == nil {
		t.Fatal("issued without the CA's key")
	}
}

func TestSelfSigned(t *testing.T) {
	c, _, err := SelfSigned("dev", []string{"localhost", "127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert := parse(t, c)
	if cert.VerifyHostname("localhost") != nil || cert.VerifyHostname("127.0.0.1") != nil || cert.VerifyHostname("example.net") == nil {
		t.Fatalf("names %v %v", cert.DNSNames, cert.IPAddresses)
	}
}
