#!/usr/bin/env bash
# Builds the krgdemo LiveCD (`make image`): copies the live-build recipe
# (image/auto, image/config, plus image/profiles/$PROFILE) into a work folder
# under build/, adds the krgdemo .deb (and KERRIGHED_DEBS / EXTRA_DEBS), runs
# lb config + lb build, and moves the hybrid ISO (BIOS + UEFI) to
# $OUT/krgdemo-$PROFILE.iso. Needs root (live-build does).
#
# Usage: image/build-image.sh KRGDEMO_DEB
# Environment (make variables of the same names; docs/image.md):
#   PROFILE=console|desktop   default console
#   KERNEL=debian             the stock kernel (ignored with KERRIGHED_DEBS)
#   KERRIGHED_DEBS=DIR        Kerrighed kernel + tools .debs, booted instead
#   EXTRA_DEBS=DIR            more .debs to install
#   MIRROR=URL                Debian mirror (default: this machine's apt's)
#   COMPRESSION=release|fast  squashfs xz (smallest) or lz4 (quickest build)
#   BOOT_APPEND="..."         more kernel parameters on every boot entry
#   OUT=DIR                   where the ISO goes (default build/image)
#   WORK=DIR                  the live-build folder (default $OUT/lb-$PROFILE)
#   CONFIG_ONLY=1             stop after lb config (the recipe tests; no root,
#                             KRGDEMO_DEB may be omitted)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

die() {
    echo "krgdemo: error: $*" >&2
    exit 1
}

config_only="${CONFIG_ONLY:-}"
deb="${1:-}"
if [ -n "$deb" ] && [ -f "$deb" ]; then
    deb="$(realpath "$deb")"
elif [ -z "$config_only" ]; then
    die "usage: $0 KRGDEMO_DEB (build it with 'make deb')"
fi
profile="${PROFILE:-console}"
[ -d "$here/profiles/$profile" ] || die "PROFILE=$profile: expected console or desktop"
kernel="${KERNEL:-debian}"
[ "$kernel" = debian ] || [ -n "${KERRIGHED_DEBS:-}" ] ||
    die "KERNEL=$kernel: expected debian, or KERRIGHED_DEBS=DIR for a Kerrighed kernel"
compression="${COMPRESSION:-release}"
case "$compression" in
    release) squashfs=xz ;;
    fast) squashfs=lz4 ;;
    *) die "COMPRESSION=$compression: expected release or fast" ;;
esac
if [ -z "$config_only" ] && [ "$(id -u)" -ne 0 ]; then
    die "live-build needs root; run 'sudo make image'"
fi
command -v lb >/dev/null || die "live-build is missing; run 'make deps'"

out="$(realpath -m "${OUT:-$root/build/image}")"
work="$(realpath -m "${WORK:-$out/lb-$profile}")"
case "$work" in
    "$root"/image | "$root"/image/*) die "WORK=$work: build outside the recipe" ;;
esac

mirrors="$("$here/scripts/detect-mirror.sh")"
export KRGDEMO_MIRROR KRGDEMO_MIRROR_SECURITY KRGDEMO_SECURITY
KRGDEMO_MIRROR="$(awk '$1 == "MIRROR" { print $2 }' <<<"$mirrors")"
KRGDEMO_MIRROR_SECURITY="$(awk '$1 == "SECURITY" { print $2 }' <<<"$mirrors")"
KRGDEMO_SECURITY=true
if [ -z "$KRGDEMO_MIRROR_SECURITY" ]; then
    # No security source on this machine: build without it rather than
    # reach for a mirror the machine does not use.
    KRGDEMO_SECURITY=false
    KRGDEMO_MIRROR_SECURITY="$KRGDEMO_MIRROR"
fi
export KRGDEMO_PROFILE="$profile" KRGDEMO_SQUASHFS="$squashfs"
export KRGDEMO_BOOT_APPEND="${BOOT_APPEND:-}"
# The kernel of KERRIGHED_DEBS must be able to boot Debian 12's userland:
# systemd 252 needs Linux 3.15 or later (its README), and every Kerrighed
# release runs 2.6.30 (3.0) or 2.6.20 (2.x). Until a userland that boots on
# 2.6.30 is built and boot-tested, such an image would hang at boot, so it
# is refused here. The version comes from the package's name
# (linux-image-VERSION), read with dpkg-deb, else from the file name.
check_kerrighed_kernel() {
    local dir=$1 deb name version major minor found=
    for deb in "$dir"/linux-image-*.deb; do
        [ -e "$deb" ] || continue
        found=1
        name="$(dpkg-deb --field "$deb" Package 2>/dev/null)" ||
            name="$(basename "$deb" | cut -d_ -f1)"
        version="${name#linux-image-}"
        [[ "$version" =~ ^([0-9]+)\.([0-9]+) ]] ||
            die "KERRIGHED_DEBS: cannot read a kernel version from $(basename "$deb")"
        major=${BASH_REMATCH[1]}
        minor=${BASH_REMATCH[2]}
        if [ "$major" -lt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -lt 15 ]; }; then
            die "KERRIGHED_DEBS: kernel $version cannot boot Debian 12's systemd (needs Linux 3.15+); a Kerrighed LiveCD needs a userland built for 2.6.30 first (docs/image.md)"
        fi
    done
    [ -n "$found" ] || die "KERRIGHED_DEBS=$dir: no linux-image-*.deb there"
}

export KRGDEMO_LINUX_PACKAGES=linux-image
if [ -n "${KERRIGHED_DEBS:-}" ]; then
    check_kerrighed_kernel "$KERRIGHED_DEBS"
    # The Kerrighed kernel is the only kernel, so every boot entry boots it;
    # its cluster parameters are documented in docs/image.md.
    KRGDEMO_LINUX_PACKAGES=none
    KRGDEMO_BOOT_APPEND="session_id=${KRG_SESSION_ID:-1} autonodeid=1 $KRGDEMO_BOOT_APPEND"
fi

# A fresh work folder, except the downloaded packages (cache/packages.*): a
# rebuild then downloads nothing it already has. live-build's cached
# bootstrap stage (the debootstrap'ed base system, ~100 s to redo) stays
# too, but only while live-build's bootstrap configuration is the same
# (distribution, mirror, areas: config/bootstrap, checked after lb config):
# nothing of the recipe goes into that stage. The other cached stages go.
mkdir -p "$work" "$out"
if [ -f "$work/config/common" ]; then
    (cd "$work" && lb clean noauto >/dev/null 2>&1) || true
fi
find "$work" -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} +
rm -rf "$work/cache/chroot" "$work/cache/rootfs"
cp -a "$here/auto" "$here/config" "$work/"
cp -a "$here/profiles/$profile/." "$work/config/"
mkdir -p "$work/config/packages.chroot"
if [ -n "$deb" ]; then
    cp "$deb" "$work/config/packages.chroot/"
fi
for dir in "${KERRIGHED_DEBS:-}" "${EXTRA_DEBS:-}"; do
    [ -n "$dir" ] || continue
    compgen -G "$dir/*.deb" >/dev/null || die "$dir: no .deb files there"
    cp "$dir"/*.deb "$work/config/packages.chroot/"
done

cd "$work"
if [ -n "$config_only" ]; then
    lb config >"$work/config.log" 2>&1 || {
        cat "$work/config.log" >&2
        die "lb config failed"
    }
    exit 0
fi
log="$work/build.log"
start=$SECONDS
echo "krgdemo: building the $profile image in $work (log: $log; mirror $KRGDEMO_MIRROR)"
stamp="$work/cache/bootstrap.krgdemo-config"
if ! lb config >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "lb config failed; the full log is $log"
fi
if ! cmp -s config/bootstrap "$stamp"; then
    rm -rf "$work/cache/bootstrap" "$stamp"
fi
if ! lb build >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "live-build failed after $((SECONDS - start)) s; the full log is $log"
fi
cp config/bootstrap "$stamp"
iso="$(compgen -G "$work/krgdemo-$profile-*.hybrid.iso" | head -n 1 || true)"
[ -n "$iso" ] || die "live-build made no ISO; see $log"
mv -f "$iso" "$out/krgdemo-$profile.iso"
size_mb=$(($(stat -c %s "$out/krgdemo-$profile.iso") / 1048576))
echo "krgdemo: $out/krgdemo-$profile.iso ($size_mb MB, $((SECONDS - start)) s)"
