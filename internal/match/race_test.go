//go:build race

package match

// raceEnabled makes the large quality run smaller under the race detector,
// which slows it tenfold without finding more there.
const raceEnabled = true
