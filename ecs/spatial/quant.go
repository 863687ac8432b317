package spatial

import "math"

// Wire units, the lowest layer of packing (the seed's PackVector):
// net/schema/README.md explains them to client developers.
const (
	// PosSteps is how many position steps make one metre: 1/256 m each.
	PosSteps = 256
	// MaxOffset is the largest offset from a message's origin, in metres,
	// that a uint16 position can hold.
	MaxOffset = float64(math.MaxUint16) / PosSteps
)

// QuantizeOffset turns an offset in metres from a message's origin into
// wire units, rounding to the nearest step. ok is false when the offset is
// outside [0, MaxOffset]; the value is then clamped.
func QuantizeOffset(m float64) (q uint16, ok bool) {
	v := math.Round(m * PosSteps)
	switch {
	case v < 0 || math.IsNaN(v):
		return 0, false
	case v > math.MaxUint16:
		return math.MaxUint16, false
	}
	return uint16(v), true
}

// DequantizeOffset is the inverse of QuantizeOffset.
func DequantizeOffset(q uint16) float64 { return float64(q) / PosSteps }

// QuantizeCoord turns an absolute coordinate in metres into wire units
// (int32, 1/256 m), saturating at the int32 range.
func QuantizeCoord(m float64) int32 {
	v := math.Round(m * PosSteps)
	switch {
	case math.IsNaN(v):
		return 0
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return int32(v)
}

// DequantizeCoord is the inverse of QuantizeCoord.
func DequantizeCoord(q int32) float64 { return float64(q) / PosSteps }

// QuantizeHeading turns an angle in radians (0 = +x, counter-clockwise)
// into 256 steps per turn.
func QuantizeHeading(rad float64) uint8 {
	turns := rad / (2 * math.Pi)
	turns -= math.Floor(turns)
	return uint8(int(math.Round(turns*256)) & 0xff)
}

// DequantizeHeading is the inverse of QuantizeHeading, in [0, 2π).
func DequantizeHeading(h uint8) float64 { return float64(h) * (2 * math.Pi / 256) }

// QuantizeHealth turns current and maximum health into 0..255. Zero health
// is 0; any living entity is at least 1, so that "dead" is never rounded
// from "almost dead".
func QuantizeHealth(cur, max float64) uint8 {
	if cur <= 0 || max <= 0 || math.IsNaN(cur) {
		return 0
	}
	if cur >= max {
		return 255
	}
	return uint8(math.Max(1, math.Round(cur/max*255)))
}
