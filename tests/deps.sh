#!/bin/sh
# tests/deps.sh - install what building, testing and the demo need, when it
# is missing: Debian packages (apt-get) and the npm test peers (into
# tests/node_modules, from tests/package.json).  Safe to run again: it does
# nothing when everything is present.
set -e
TOP=$(cd "$(dirname "$0")/.." && pwd)

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libjansson-dev libssl-dev libarchive-dev libfftw3-dev libcurl4-openssl-dev
libmosquitto-dev libprotobuf-c-dev protobuf-c-compiler
mosquitto mandoc jq curl zstd xz-utils zip unzip python3 python3-numpy
python3-scipy python3-sklearn"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
# Node.js may come from elsewhere (a vendor package that bundles npm and
# conflicts with Debian's npm): install Debian's only when there is none.
command -v node > /dev/null 2>&1 || missing="$missing nodejs"
command -v npm > /dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	echo "deps: installing Debian packages:$missing" >&2
	SUDO=
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	    --no-install-recommends $missing >&2
fi

# npm test peers, pinned by tests/package-lock.json.
if [ -f "$TOP/tests/package.json" ]; then
	stamp="$TOP/tests/node_modules/.twin-stamp"
	if [ ! -f "$stamp" ] ||
	    [ "$TOP/tests/package-lock.json" -nt "$stamp" ]; then
		echo "deps: installing npm test peers" >&2
		(cd "$TOP/tests" && npm ci --no-audit --no-fund --loglevel=error >&2)
		touch "$stamp"
	fi
fi
