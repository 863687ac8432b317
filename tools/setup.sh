#!/usr/bin/env bash
# What make test needs beyond Go: flatc (Debian's flatbuffers-compiler) for
# the generated-code check, Node with TypeScript (Debian's nodejs and
# node-typescript) for the TypeScript client kit's test, and Chromium
# (Debian's chromium) for the console's browser test. Installed here
# when missing and this runs as root with apt-get; otherwise the exact
# command to run is printed and the script fails at once. .ci/run and make
# test both call it. (The official flatbuffers TypeScript runtime comes
# from the Go module cache: the same pinned release as the Go runtime.)
set -euo pipefail
missing=()
command -v flatc >/dev/null 2>&1 || missing+=(flatbuffers-compiler)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v tsc >/dev/null 2>&1 || missing+=(node-typescript)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
install="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing[*]}"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "setup: installing ${missing[*]}" >&2
	bash -c "$install" >/dev/null
	command -v flatc >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && command -v tsc >/dev/null 2>&1 &&
		{ command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } && exit 0
fi
echo "setup: missing ${missing[*]}. Install with:" >&2
echo "    sudo apt-get install -y ${missing[*]}      (Debian, Ubuntu)" >&2
echo "then run make test again." >&2
exit 1
