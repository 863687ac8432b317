package livebench

import (
	"os"
	"testing"
	"time"
)

func TestProcCPUReadsThisProcess(t *testing.T) {
	before, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := procCPU(os.Getpid())
	if err != nil || after < before {
		t.Fatalf("%v then %v: %v", before, after, err)
	}
	if _, err := procCPU(1 << 30); err == nil {
		t.Fatal("a process that does not exist was read")
	}
}

func TestUDPSendFloor(t *testing.T) {
	us, err := udpSendFloor(2000)
	if err != nil || us <= 0 || us > 1000 {
		t.Fatalf("%v µs a send: %v", us, err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{{}, {Bin: "realm", Players: 10, Scenario: "moon"}, {Bin: "realm", Scenario: Crowd}} {
		if _, err := Run(t.Context(), c); err == nil {
			t.Errorf("%+v ran", c)
		}
	}
}
