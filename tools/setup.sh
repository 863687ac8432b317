#!/usr/bin/env bash
# What make test needs beyond Go: flatc (Debian's flatbuffers-compiler) for
# the generated-code check. Installed here when missing and this runs as
# root with apt-get; otherwise the exact command to run is printed and the
# script fails at once. .ci/run and make test both call it.
set -euo pipefail
command -v flatc >/dev/null 2>&1 && exit 0
install="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq flatbuffers-compiler"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "setup: installing flatc (flatbuffers-compiler)" >&2
	bash -c "$install" >/dev/null
	command -v flatc >/dev/null 2>&1 && exit 0
fi
echo "setup: flatc is missing. Install it with:" >&2
echo "    sudo apt-get install -y flatbuffers-compiler      (Debian, Ubuntu)" >&2
echo "then run make test again." >&2
exit 1
