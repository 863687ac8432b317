#!/usr/bin/env bash
# make swarm: a realm on this machine (realm up on a temporary data dir and
# its own ports), a swarm against it, then both torn down. The swarm's exit
# code is the script's. Reports land in ./swarm-report.{json,html}, the
# realm's log in ./swarm-realm.log and its nodes' in ./swarm-logs.
#
#   SWARM_BOTS (1000) SWARM_DURATION (60s) SWARM_BEHAVIOR (wander)
#   SWARM_ARGS (extra swarm flags, e.g. --max-p99-ms 100)
set -euo pipefail
bots=${SWARM_BOTS:-1000}
bin=$(mktemp -d)
data=$(mktemp -d)
base=${SWARM_PORT_BASE:-7400}
up=""
cleanup() {
	if [ -n "$up" ] && kill -0 "$up" 2>/dev/null; then
		kill -INT "$up"
		wait "$up" || true
	fi
	cp "$data/realm.log" swarm-realm.log 2>/dev/null || true # the realm's side of the run, kept
	rm -rf swarm-logs && cp -r "$data/run/logs" swarm-logs 2>/dev/null || true
	rm -rf "$bin" "$data"
}
trap cleanup EXIT
"${GO:-go}" build -o "$bin/" ./cmd/realm ./cmd/swarm
"$bin/realm" up --data "$data" --port-base "$base" --dev-accounts "$bots" >"$data/realm.log" 2>&1 &
up=$!
for _ in $(seq 1 300); do
	grep -q "Ctrl-C stops everything" "$data/realm.log" 2>/dev/null && break
	kill -0 "$up" 2>/dev/null || { cat "$data/realm.log" >&2; exit 2; }
	sleep 0.1
done
grep -q "Ctrl-C stops everything" "$data/realm.log" || { echo "realm up did not come up" >&2; cat "$data/realm.log" >&2; exit 2; }
echo "realm up on ports from $base (log: $data/realm.log while it runs); swarm of $bots bots"
set +e
"$bin/swarm" --login "127.0.0.1:$((base + 1005)),127.0.0.1:$((base + 1015))" --ca "$data/cert.pem" --bots "$bots" \
	--duration "${SWARM_DURATION:-60s}" --behavior "${SWARM_BEHAVIOR:-wander}" \
	--json swarm-report.json --html swarm-report.html ${SWARM_ARGS:-}
rc=$?
set -e
echo "swarm exited $rc; reports: swarm-report.json, swarm-report.html"
exit $rc
