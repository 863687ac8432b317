// Command swarm runs headless bots against a realm over real QUIC and
// reports what they saw: a load tester's tool, and a CI gate.
//
//	realm up --dev-accounts 1000 &
//	swarm --bots 1000 --duration 60s --behavior wander --json report.json --html report.html --max-p99-ms 100
//
// The exit code is 0 when the run kept within its thresholds (--max-p99-ms,
// --max-errors), 1 when it did not, 2 when it could not run.
package main
