// Command realm runs GridRealm: every node role, a whole realm on one
// machine (realm up), benchmarks (realm bench) and admin tools.
package main
