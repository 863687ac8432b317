package gateway

import (
	"testing"
	"time"
)

func TestBudgetDropsThenFloods(t *testing.T) {
	b := newBudget(10)
	now := time.Unix(1000, 0)
	for i := 0; i < 10; i++ {
		if ok, _ := b.take(now); !ok {
			t.Fatalf("message %d of a full bucket dropped", i)
		}
	}
	if ok, flood := b.take(now); ok || flood {
		t.Fatal("over budget: must drop, not flood yet")
	}
	flooded := false
	for i := 0; i < 40 && !flooded; i++ {
		_, flooded = b.take(now)
	}
	if !flooded || b.Dropped < 30 {
		t.Fatalf("far over budget: flood %v after %d drops", flooded, b.Dropped)
	}
	// A second later the budget is back.
	if ok, _ := b.take(now.Add(time.Second)); !ok {
		t.Fatal("the budget did not refill")
	}
}
