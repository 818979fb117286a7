#!/usr/bin/env bash
# Installs the Debian packages of cmake/debian-packages.txt that are missing.
# Needs root only when something is missing; says exactly what otherwise.
set -euo pipefail

list="$(dirname "$0")/debian-packages.txt"
mapfile -t wanted < <(grep -v '^#' "$list" | grep -v '^$')

missing=()
for pkg in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "krgdemo: error: missing Debian packages: ${missing[*]}; run 'sudo make deps' (or install them with apt-get) and try again" >&2
    exit 1
fi
echo "krgdemo: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
