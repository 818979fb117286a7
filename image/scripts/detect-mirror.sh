#!/usr/bin/env bash
# Prints the Debian mirror and security mirror this machine's apt uses, as
# two lines "MIRROR URL" and "SECURITY URL" (SECURITY is empty when apt has
# no bookworm-security source). The image recipe takes its mirror from here
# so that nothing in image/ names a mirror. MIRROR=URL overrides the first.
set -euo pipefail

# shellcheck disable=SC2016  # apt's own $(FIELD) syntax, not the shell's
targets="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
    'Created-By: Packages' 2>/dev/null | sort -u)"
mirror="${MIRROR:-}"
if [ -z "$mirror" ]; then
    mirror="$(awk '$2 == "bookworm" { print $1; exit }' <<<"$targets")"
fi
security="$(awk '$2 == "bookworm-security" { print $1; exit }' <<<"$targets")"
if [ -z "$mirror" ]; then
    echo "krgdemo: error: no bookworm source in this machine's apt configuration; add one (/etc/apt/sources.list.d/) or pass MIRROR=http://deb.debian.org/debian" >&2
    exit 1
fi
echo "MIRROR ${mirror%/}"
echo "SECURITY ${security%/}"
