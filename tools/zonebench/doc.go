// Package zonebench runs a zone headless with simulated players and
// measures it: tick time, time dilation, what the zone would send to its
// gateways, and what sending every player its own view would cost instead.
// `realm bench zone` prints its Result as JSON.
package zonebench
