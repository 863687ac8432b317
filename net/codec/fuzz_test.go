package codec

import "testing"

// One fuzz target per envelope. Each decodes arbitrary bytes and, when they
// decode, reads every field: neither may panic. `make fuzz` runs each for
// FUZZTIME; `go test` runs their seeds.

func fuzzEnvelope(f *testing.F, kind string) {
	for _, b := range samples()[kind] {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("GRNFGRCDGRSNGRINGRCMGRSM"))
	f.Fuzz(func(t *testing.T, b []byte) { _ = decodeAndTouch(t, kind, b) })
}

func FuzzNodeFrame(f *testing.F)      { fuzzEnvelope(f, "NodeFrame") }
func FuzzCellDelta(f *testing.F)      { fuzzEnvelope(f, "CellDelta") }
func FuzzSnapshot(f *testing.F)       { fuzzEnvelope(f, "Snapshot") }
func FuzzInput(f *testing.F)          { fuzzEnvelope(f, "Input") }
func FuzzClientMessage(f *testing.F)  { fuzzEnvelope(f, "ClientMessage") }
func FuzzServerMessage(f *testing.F)  { fuzzEnvelope(f, "ServerMessage") }
func FuzzDbMessage(f *testing.F)      { fuzzEnvelope(f, "DbMessage") }
func FuzzRealmMessage(f *testing.F)   { fuzzEnvelope(f, "RealmMessage") }
func FuzzZoneMessage(f *testing.F)    { fuzzEnvelope(f, "ZoneMessage") }
func FuzzGatewayMessage(f *testing.F) { fuzzEnvelope(f, "GatewayMessage") }
