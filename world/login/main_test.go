package login

import (
	"os"
	"testing"

	"github.com/gridrealm/gridrealm/net/node/nodetest"
)

// TestMain fails the package if a handler of any node it ran panicked.
func TestMain(m *testing.M) { os.Exit(nodetest.Main(m)) }
