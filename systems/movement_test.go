package systems

import (
	"math"
	"testing"
)

func TestHeadingOfIsCloseToAtan2(t *testing.T) {
	worst := 0.0
	for i := 0; i < 100000; i++ {
		a := float64(i) / 100000 * 2 * math.Pi
		for _, r := range []float64{0.001, 1, 1000} {
			dx, dy := float32(math.Cos(a)*r), float32(math.Sin(a)*r)
			want := math.Atan2(float64(dy), float64(dx))
			d := math.Abs(float64(HeadingOf(dx, dy)) - want)
			d = math.Min(d, 2*math.Pi-d)
			worst = math.Max(worst, d)
		}
	}
	if worst > 0.0015 {
		t.Fatalf("worst error %.5f rad", worst)
	}
	if HeadingOf(0, 0) != 0 {
		t.Fatal("HeadingOf(0, 0)")
	}
}
