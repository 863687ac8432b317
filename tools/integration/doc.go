// Package integration holds the end-to-end tests: real nodes as separate
// OS processes (the realm binary, built once per test run) talking over
// loopback. Each test starts what it needs with the helpers here and
// stops it, leaving no process behind. The crash tests run a dev realm as
// realm up does (devrealm_test.go): every node a `realm` process under the
// realm's two revivers, each a `realm reviver` process; a test SIGKILLs a
// node or the active reviver and checks what players and the db saw.
package integration
