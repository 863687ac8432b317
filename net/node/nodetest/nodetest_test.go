package nodetest

import (
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/node"
)

// TestStartLinksNodes: two nodes started with Start link up, and an Ask
// between them gets its answer; Start's cleanup stops them.
func TestStartLinksNodes(t *testing.T) {
	secret := []byte("nodetest-secret-0123456789abcdef")
	echo := &echoHandler{}
	a := Start(t, node.Config{ID: "A", Secret: secret, Listen: "127.0.0.1:0", Handler: echo})
	b := Start(t, node.Config{ID: "B", Secret: secret, Peers: []node.Peer{{ID: "A", Addr: a.Addr()}}})
	got := make(chan string, 1)
	if err := b.Ask("A", node.Out{Kind: 1, Payload: []byte("ping")}, 5*time.Second, func(m node.Message, err error) {
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(m.Payload)
	}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "ping" {
		t.Fatalf("answer %q", s)
	}
}

type echoHandler struct{ Nop }

func (echoHandler) HandleMessage(n *node.Node, m node.Message) {
	n.Reply(m, node.Out{Kind: m.Kind, Payload: m.Payload})
}
