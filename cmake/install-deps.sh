#!/usr/bin/env bash
# Installs the missing Debian packages of a set: `run` (build krgdemo and run
# the demos: cmake/debian-packages-run.txt) or `test` (that set plus
# cmake/debian-packages-test.txt: tests, package, LiveCD). Needs root only
# when something is missing; says exactly what otherwise.
set -euo pipefail

set_name="${1:-run}"
here="$(dirname "$0")"
case "$set_name" in
    run) lists=("$here/debian-packages-run.txt") ;;
    test) lists=("$here/debian-packages-run.txt" "$here/debian-packages-test.txt") ;;
    *)
        echo "krgdemo: error: unknown package set '$set_name' (expected run or test)" >&2
        exit 2
        ;;
esac
mapfile -t wanted < <(cat "${lists[@]}" | grep -v '^#' | grep -v '^$')

missing=()
for pkg in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
target=deps
[ "$set_name" = run ] || target=deps-test
if [ "$(id -u)" -ne 0 ]; then
    echo "krgdemo: error: missing Debian packages: ${missing[*]}; run 'sudo make $target' (or install them with apt-get) and try again" >&2
    exit 1
fi
echo "krgdemo: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
