package gateway

import (
	"testing"
	"time"
)

// A gateway is full once its snapshots' lateness (90th percentile of the
// last 64 ticks) passes the limit, and takes players again only once it is
// back under half of it; a negative limit never makes it full.
func TestLatenessJudgesFullWithHysteresis(t *testing.T) {
	var l lateness
	limit := 150 * time.Millisecond
	for i := 0; i < 64; i++ {
		l.add(20 * time.Millisecond)
	}
	if l.judge(limit) {
		t.Fatal("full at 20 ms")
	}
	for i := 0; i < 10; i++ {
		l.add(400 * time.Millisecond)
	}
	if !l.judge(limit) {
		t.Fatalf("not full with p90 %v", l.p90())
	}
	for i := 0; i < 64; i++ {
		l.add(100 * time.Millisecond) // under the limit, above half of it
	}
	if !l.judge(limit) {
		t.Fatal("took players again above half the limit")
	}
	for i := 0; i < 64; i++ {
		l.add(50 * time.Millisecond)
	}
	if l.judge(limit) {
		t.Fatalf("still full at p90 %v", l.p90())
	}
	for i := 0; i < 64; i++ {
		l.add(time.Second)
	}
	if l.judge(-1) {
		t.Fatal("full with lateness checks off")
	}
}
