//go:build !race

package login

// raceDetector: this test binary runs under the race detector.
const raceDetector = false
