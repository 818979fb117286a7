#!/usr/bin/env bash
# Builds the krgdemo .deb of the CMake build folder $1 into folder $2 (CPack,
# staged under $2 so that several runs never share files) and prints its
# path. For the image tests; `make deb` is the user's way.
set -euo pipefail

build="$1" out="$2"
[ -x "$build/krgdemo" ] || { echo "krgdemo: error: $build/krgdemo is missing; build first" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/krgdemo_*_amd64.deb
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 || {
    cat "$out/cpack.log" >&2
    echo "krgdemo: error: cpack failed" >&2
    exit 1
}
deb="$(compgen -G "$out/krgdemo_*_amd64.deb" | head -n 1 || true)"
[ -n "$deb" ] || { echo "krgdemo: error: cpack made no .deb in $out" >&2; exit 1; }
echo "$deb"
