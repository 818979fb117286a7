#!/usr/bin/env bash
# The LiveCD recipe (issue 10), the fast checks: shellcheck on every shell
# script of the project, the package lists sorted, hook names, no mirror
# written in the recipe, and `lb config --dump` of the configured recipe:
# mirror taken from this machine's apt (or MIRROR=), the profile's package
# lists selected, the bootloaders and compression asked for.
set -euo pipefail

src="$(realpath "${1:-$(dirname "$0")/../..}")"
image="$src/image"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# 1. shellcheck: every file with a sh/bash shebang, every *.sh, the hooks,
# the bash completion and the openbox autostart (sourced by sh).
mapfile -t scripts < <(
    cd "$src" &&
        { grep -rlE '^#!(/usr/bin/env (ba)?sh|/bin/(ba)?sh)' --exclude-dir='build*' --exclude-dir=.git . || true
          find . -path './build*' -prune -o \( -name '*.sh' -o -name '*.hook.chroot' -o -name '*.bash-completion' -o -name autostart \) -type f -print; } |
        sort -u)
for s in "${scripts[@]}"; do
    shell=bash
    case "$s" in *profile.d/*.sh | */autostart | *.hook.chroot) shell="sh" ;; esac
    head -n 1 "$src/$s" | grep -q '^#!.*bash' && shell=bash
    shellcheck -s "$shell" "$src/$s" || fail "shellcheck $s"
done
echo "shellcheck: ${#scripts[@]} scripts"
[ "${#scripts[@]}" -ge 12 ] || fail "only ${#scripts[@]} scripts found: the search is broken"

# 2. Package lists: sorted, no duplicates, one package a line.
while IFS= read -r list; do
    LC_ALL=C sort -u -c "$list" || fail "$list is not sorted (LC_ALL=C sort -u)"
    if grep -qvE '^[a-z0-9][a-z0-9.+-]*$' "$list"; then fail "$list: not one package a line"; fi
done < <(find "$image" -name '*.list.chroot')

# 3. Hooks: NNNN-verb-object.hook.chroot in the free ranges, executable.
for hook in "$image"/config/hooks/live/* "$image"/profiles/*/hooks/live/*; do
    [ -e "$hook" ] || continue
    name="$(basename "$hook")"
    [[ "$name" =~ ^([0-9]{4})-[a-z]+-[a-z0-9-]+\.hook\.chroot$ ]] || fail "hook name $name"
    n=$((10#${BASH_REMATCH[1]:-0}))
    if ! { [ "$n" -ge 2000 ] && [ "$n" -le 4999 ]; } && ! { [ "$n" -ge 6000 ] && [ "$n" -le 7999 ]; }; then
        fail "hook $name outside 2000-4999 / 6000-7999"
    fi
    [ -x "$hook" ] || fail "hook $name is not executable"
done

# 4. No mirror in the recipe: it comes from the building machine.
if grep -rnE '(https?|ftp)://[a-z0-9]' "$image/auto" "$image/config" "$image/profiles" | grep -v '127\.0\.0\.1'; then
    fail "a URL is written in the recipe (the mirror must come from apt or MIRROR=)"
fi

# 5. lb config --dump of the configured recipe.
dump() { # PROFILE COMPRESSION [VAR=VALUE ...]
    local profile="$1" compression="$2"
    shift 2
    env PROFILE="$profile" COMPRESSION="$compression" CONFIG_ONLY=1 \
        OUT="$tmp/$profile-$compression" "$@" "$image/build-image.sh" >/dev/null
    (cd "$tmp/$profile-$compression/lb-$profile" && lb config --dump 2>/dev/null)
}
expect() { # DUMP REGEX WHAT
    grep -qE "$2" <<<"$1" || fail "lb config --dump: $3 (no match for $2)"
}
reject() {
    if grep -qE "$2" <<<"$1"; then fail "lb config --dump: $3 (matched $2)"; fi
}
# shellcheck disable=SC2016  # apt's own $(FIELD) syntax
machine="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' |
    awk '$2 == "bookworm" { sub("/$", "", $1); print $1; exit }')"
[ -n "$machine" ] || fail "this machine's apt has no bookworm source"

console="$(dump console release)"
expect "$console" "LB_MIRROR_BOOTSTRAP=\"$machine\"" "mirror taken from apt"
expect "$console" "LB_MIRROR_CHROOT=\"$machine\"" "chroot mirror taken from apt"
expect "$console" 'LB_DISTRIBUTION="bookworm"' "bookworm"
expect "$console" 'LB_IMAGE_TYPE="iso-hybrid"' "hybrid ISO"
expect "$console" 'LB_BOOTLOADERS="syslinux grub-efi"' "BIOS and UEFI bootloaders"
expect "$console" 'LB_CHROOT_SQUASHFS_COMPRESSION_TYPE="xz"' "release compression"
expect "$console" 'LB_LINUX_PACKAGES="linux-image"' "the stock kernel"
expect "$console" 'package-lists/krgdemo.list.chroot: live-boot' "common package list"
expect "$console" 'package-lists/krgdemo.list.chroot: whiptail' "the console menu"
expect "$console" 'config/package-lists: .* krgdemo.list.chroot$' "common list listed"
reject "$console" 'desktop.list.chroot' "console profile without the desktop list"
reject "$console" 'LB_BOOTAPPEND_LIVE=.*krgdemo.selftest' "no selftest on a normal boot"

desktop="$(dump desktop fast MIRROR=http://mirror.example/debian BOOT_APPEND=krgdemo.selftest=1)"
expect "$desktop" 'LB_MIRROR_BOOTSTRAP="http://mirror.example/debian"' "MIRROR= overrides"
expect "$desktop" 'package-lists/desktop.list.chroot: chromium' "desktop browser"
expect "$desktop" 'package-lists/desktop.list.chroot: openbox' "desktop session"
# lb's dump prints the first list's lines only, and then a listing of the
# folder: the common list must be listed there.
expect "$desktop" 'config/package-lists: .* krgdemo.list.chroot$' "common list in desktop"
expect "$desktop" 'LB_CHROOT_SQUASHFS_COMPRESSION_TYPE="lz4"' "fast compression"
expect "$desktop" 'LB_BOOTAPPEND_LIVE=.*krgdemo.selftest=1' "BOOT_APPEND"

# A Kerrighed kernel (2.6.30) cannot boot Debian 12's systemd: refused in
# one line that says why, before anything is built.
kdebs="$tmp/kdebs"
mkdir -p "$kdebs"
touch "$kdebs/linux-image-2.6.30-krg_1_amd64.deb"
if PROFILE=console COMPRESSION=fast CONFIG_ONLY=1 KERRIGHED_DEBS="$kdebs" \
    OUT="$tmp/krg-refused" "$image/build-image.sh" 2>"$tmp/err" >/dev/null; then
    fail "a 2.6.30 Kerrighed kernel accepted under Debian 12's userland"
fi
grep -q '^krgdemo: error: KERRIGHED_DEBS: kernel 2.6.30-krg cannot boot' "$tmp/err" ||
    fail "2.6.30 refusal message: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "2.6.30 refusal is not one line: $(cat "$tmp/err")"

# The Kerrighed boot path itself, with a kernel systemd can boot (a later
# port of Kerrighed would be one): the parameters and the packages.
kdebs="$tmp/kdebs-new"
mkdir -p "$kdebs"
touch "$kdebs/linux-image-4.19.0-krg_1_amd64.deb"
kerrighed="$(dump console fast KERRIGHED_DEBS="$kdebs")"
expect "$kerrighed" 'LB_LINUX_PACKAGES="none"' "Kerrighed kernel replaces the stock one"
expect "$kerrighed" 'LB_BOOTAPPEND_LIVE=.*session_id=1 autonodeid=1' "Kerrighed boot parameters"
[ -f "$tmp/console-fast/lb-console/config/packages.chroot/linux-image-4.19.0-krg_1_amd64.deb" ] ||
    fail "KERRIGHED_DEBS not copied into packages.chroot"

# Bad input is one clear line and exit 1.
if PROFILE=server CONFIG_ONLY=1 "$image/build-image.sh" 2>"$tmp/err"; then fail "PROFILE=server accepted"; fi
grep -q '^krgdemo: error: PROFILE=server' "$tmp/err" || fail "PROFILE=server message: $(cat "$tmp/err")"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "PASS"
