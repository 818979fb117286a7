#!/usr/bin/env bash
# The .deb (issue 10): it builds, and dpkg-deb shows the binary, the man
# page, the bash completion, the docs and the suites, and Depends on the
# runtime libraries, gnuplot and wrk. The binary in it runs. Issue 20: the
# machine-readable copyright file, the benchmark binaries `bench --micro`
# finds, and no empty folder (docs/suites has no .md).
set -euo pipefail

build="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

deb="$("$here/make-deb.sh" "$build" "$tmp/out")"
echo "built $(basename "$deb")"
info="$(dpkg-deb --info "$deb")"
contents="$(dpkg-deb --contents "$deb")"
echo "$info" | sed -n '/Package:/,$p'

for path in ./usr/bin/krgdemo ./usr/share/man/man1/krgdemo.1.gz \
    ./usr/share/bash-completion/completions/krgdemo \
    ./usr/share/doc/krgdemo/README.md ./usr/share/doc/krgdemo/cli.md \
    ./usr/share/krgdemo/suites/scaling.json ./usr/share/doc/krgdemo/copyright \
    ./usr/lib/krgdemo/bench/mandelbrot_bench; do
    grep -q " $path\$" <<<"$contents" || fail "$path is not in the package"
done
depends="$(dpkg-deb --field "$deb" Depends)"
for dep in 'libc6' 'libstdc++6' 'libgomp1' 'libboost-program-options' \
    'libopencv-core' 'gnuplot-nox | gnuplot' 'wrk'; do
    grep -qF "$dep" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
[ "$(dpkg-deb --field "$deb" Architecture)" = amd64 ] || fail "not amd64"
if grep -q ' ./usr/share/doc/krgdemo/suites/$' <<<"$contents"; then
    fail "the package ships an empty /usr/share/doc/krgdemo/suites/"
fi

# The packaged binary runs and is the portable one; the man page renders.
dpkg-deb -x "$deb" "$tmp/root"
"$tmp/root/usr/bin/krgdemo" --version | grep -q '^krgdemo ' || fail "krgdemo --version"
"$tmp/root/usr/bin/krgdemo" --help | grep -q 'selftest' || fail "no selftest command"
zcat "$tmp/root/usr/share/man/man1/krgdemo.1.gz" | groff -man -ww -z 2>"$tmp/groff.log"
[ ! -s "$tmp/groff.log" ] || fail "man page warnings: $(cat "$tmp/groff.log")"
head -1 "$tmp/root/usr/share/doc/krgdemo/copyright" |
    grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
    fail "copyright is not in Debian's machine-readable format"
"$tmp/root/usr/lib/krgdemo/bench/mandelbrot_bench" --benchmark_list_tests |
    grep -q '^BM_Mandelbrot' || fail "the packaged mandelbrot_bench does not run"
"$tmp/root/usr/bin/krgdemo" info --json | grep -q '"native": false' ||
    fail "the packaged binary is not the portable build (KRG_NATIVE is ON)"
echo "PASS"
