// Package nodetest helps tests that run nodes: a quiet logger, a handler
// that ignores everything, Start, which starts a node and stops it when
// the test ends, and Main, which fails a package whose nodes' handlers
// panicked. Like net/http/httptest, it is for tests only.
package nodetest

import (
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/gridrealm/gridrealm/net/node"
)

// Quiet returns a logger that drops everything.
func Quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Nop is a Handler that ignores messages and peer events: for a node
// that only asks (its answers go to the Ask callbacks).
type Nop struct{}

// HandleMessage ignores m.
func (Nop) HandleMessage(*node.Node, node.Message) {}

// HandlePeer ignores e.
func (Nop) HandlePeer(*node.Node, node.PeerEvent) {}

// Start starts a node with cfg (a Nop handler and a quiet logger when
// unset) and stops it when the test ends.
func Start(t testing.TB, cfg node.Config) *node.Node {
	t.Helper()
	if cfg.Handler == nil {
		cfg.Handler = Nop{}
	}
	if cfg.Logger == nil {
		cfg.Logger = Quiet()
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// Main runs a package's tests, then fails them if a handler of any node
// they ran panicked: net/node recovers such a panic (a bug the node
// survives) and a quiet logger hides it. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(nodetest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if n := node.HandlerPanics(); n > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d node handler calls panicked (recovered by net/node: a bug)\n", n)
		if code == 0 {
			code = 1
		}
	}
	return code
}
