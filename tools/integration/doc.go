// Package integration holds the end-to-end tests: real nodes as separate
// OS processes (the realm binary, built once per test run) talking over
// loopback. Each test starts what it needs with the helpers here and
// stops it, leaving no process behind.
package integration
