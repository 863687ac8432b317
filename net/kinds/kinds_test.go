package kinds

import "testing"

// TestKindsKeepTheirNumbers: kinds are on the wire between nodes of
// different versions; renumbering one would make a node misread another's
// messages.
func TestKindsKeepTheirNumbers(t *testing.T) {
	for kind, want := range map[string][2]uint16{
		"Db": {Db, 1}, "Realm": {Realm, 2}, "Zone": {Zone, 3}, "Gateway": {Gateway, 4},
	} {
		if want[0] != want[1] {
			t.Errorf("%s is %d, was %d", kind, want[0], want[1])
		}
	}
}
