package node

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/pki"
)

// testCA is a cluster CA with certificates issued per node id.
type testCA struct{ cert, key []byte }

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	c, k, err := pki.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{c, k}
}

// link is the LinkTLS of a node whose certificate names id.
func (ca *testCA) link(t testing.TB, id string) *LinkTLS {
	t.Helper()
	c, k, err := pki.IssueNode(ca.cert, ca.key, id)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pki.Pool(ca.cert)
	if err != nil {
		t.Fatal(err)
	}
	return &LinkTLS{Cert: cert, CA: pool}
}

// TestTLSRefusesImpostors: a node whose certificate names another node,
// one of another CA, and one without TLS are all refused, even with the
// cluster secret.
func TestTLSRefusesImpostors(t *testing.T) {
	ca := newTestCA(t)
	for _, tc := range []struct {
		name string
		tls  func() *LinkTLS
		log  string
	}{
		{"a certificate of another node", func() *LinkTLS { return ca.link(t, "C") }, "does not name its node id"},
		{"another CA", func() *LinkTLS { return newTestCA(t).link(t, "A") }, "tls"},
		{"no TLS", func() *LinkTLS { return nil }, "tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncBuffer{}
			rec := &recorder{}
			bcfg := testConfig("B")
			bcfg.Handler, bcfg.TLS, bcfg.Logger = rec, ca.link(t, "B"), slogTo(logs)
			b := startNode(t, bcfg)
			acfg := testConfig("A")
			acfg.Peers, acfg.TLS = []Peer{{ID: "B", Addr: b.Addr()}}, tc.tls()
			a := startNode(t, acfg)
			a.Send("B", Out{Kind: 1, Payload: []byte("let me in")})
			waitFor(t, "the refusal in B's log", 5*time.Second, func() bool {
				return strings.Contains(logs.String(), "link refused") && strings.Contains(logs.String(), tc.log)
			})
			time.Sleep(200 * time.Millisecond)
			if a.Connected("B") || b.Connected("A") || rec.count() != 0 {
				t.Fatalf("impostor linked: connected %v/%v, %d messages", a.Connected("B"), b.Connected("A"), rec.count())
			}
		})
	}
}

// BenchmarkLinkFrames sends 256-byte messages from one node to another,
// plain and over TLS: the cost per message of encrypting the link.
func BenchmarkLinkFrames(b *testing.B) {
	for _, secure := range []bool{false, true} {
		name := "plain"
		if secure {
			name = "tls"
		}
		b.Run(name, func(b *testing.B) {
			ca := newTestCA(b)
			got := make(chan struct{}, 1<<16)
			bcfg := testConfig("B")
			bcfg.Handler = signal(got)
			acfg := testConfig("A")
			if secure {
				bcfg.TLS, acfg.TLS = ca.link(b, "B"), ca.link(b, "A")
			}
			nb := benchNode(b, bcfg)
			acfg.Peers = []Peer{{ID: "B", Addr: nb.Addr()}}
			na := benchNode(b, acfg)
			for !na.Connected("B") {
				time.Sleep(time.Millisecond)
			}
			msg := make([]byte, 256)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for na.Send("B", Out{Kind: 1, Priority: Gameplay, Payload: msg}) != nil {
					time.Sleep(10 * time.Microsecond)
				}
				if i%1024 == 1023 {
					for j := 0; j < 1024; j++ {
						<-got
					}
				}
			}
			for j := 0; j < b.N%1024; j++ {
				<-got
			}
		})
	}
}

// signal is a Handler that signals each message and keeps nothing.
type signal chan struct{}

func (s signal) HandleMessage(*Node, Message) { s <- struct{}{} }
func (signal) HandlePeer(*Node, PeerEvent)    {}

func benchNode(b *testing.B, cfg Config) *Node {
	b.Helper()
	n, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(n.Stop)
	return n
}
