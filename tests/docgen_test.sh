#!/usr/bin/env bash
# The generated man page and bash completion (issue 20) against the binary's
# own --help: every command and every option of every command appears in
# both, every environment variable the sources read is documented, the page
# renders without a groff warning, and the completion offers the right words
# where a user presses Tab. Usage: docgen_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build="$1" src="$2"
bin="$build/krgdemo" man="$build/generated/krgdemo.1"
completion="$build/generated/krgdemo.bash-completion"
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
{ [ -s "$man" ] && [ -s "$completion" ]; } || fail "generated files missing in $build/generated"

mapfile -t commands < <("$bin" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ "${#commands[@]}" -ge 11 ] || fail "only ${#commands[@]} commands in krgdemo --help"
for cmd in "${commands[@]}"; do
    grep -q "^\.SS \"krgdemo $cmd" "$man" || fail "man page: no section for $cmd"
    grep -q "^        $cmd)\$" "$completion" || fail "completion: no case for $cmd"
    opts_line="$(sed -n "/^        $cmd)\$/{n;p}" "$completion")"
    mapfile -t options < <("$bin" "$cmd" --help | grep -oE '^  (-[a-z] \[ )?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*')
    [ "${#options[@]}" -ge 1 ] || fail "$cmd --help lists no option"
    for opt in "${options[@]}"; do
        grep -qF "\\fB${opt//-/\\-}\\fR" "$man" || fail "man page: $cmd $opt missing"
        grep -qE -- "[\" ]${opt}[\" ]" <<<"$opts_line" || fail "completion: $cmd $opt missing"
    done
    echo "ok $cmd: ${#options[@]} options"
done

# Every variable the sources read from the environment that is krgdemo's own.
mapfile -t vars < <(grep -rhoE 'getenv\("(KRGDEMO_[A-Z_]+|NO_COLOR)"\)' \
    "$src/harness" "$src/launcher" "$src/demos" | grep -oE '[A-Z_]{4,}' | sort -u)
[ "${#vars[@]}" -ge 4 ] || fail "found only ${vars[*]}"
for v in "${vars[@]}"; do
    grep -q "^\.B $v\$" "$man" || fail "man page: environment variable $v missing"
done

groff -man -ww -z "$man" 2>&1 | { ! grep .; } || fail "groff warns on the man page"
if command -v shellcheck >/dev/null; then
    shellcheck -s bash "$completion" || fail "shellcheck on the completion"
fi

# Tab where a user presses it: what the completion offers.
offers() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
             _krgdemo; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@"
}
expect() {
    local want="$1" got
    shift
    got="$(offers "$@")"
    grep -qx -- "$want" <<<"$got" || fail "Tab after '$*' does not offer $want: $(tr '\n' ' ' <<<"$got")"
}
expect dashboard krgdemo ""
expect checkpoint krgdemo show ""
expect fast krgdemo show checkpoint --pace ""
expect quick krgdemo bench --suite ""
expect welch krgdemo compare --test ""
expect html krgdemo compare --format ""
expect mpi krgdemo run mandelbrot --engine ""
expect mandelbrot krgdemo scale ""
expect variant= krgdemo run mandelbrot --param ""
expect --pace krgdemo show --p
echo PASS
