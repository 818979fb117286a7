#!/usr/bin/env bash
# The whole classic mandelbrot command against a peer program, as a user
# times it: `krgdemo run mandelbrot --param variant=classic --param n=N
# --repeat 1` (start-up, the pass, the PBM, verification, run.json) against
# `PEER N FILE` (the Benchmarks Game's calling convention: the image side,
# then where to write the PBM), interleaved rounds whose order flips every
# round. The two PBM files must be byte-identical (the peer must be a
# correct build). Prints each round, then the medians and the median of the
# per-round ratios krgdemo/peer.
#
#   bench/scientific/classic_peer.sh --peer BINARY [--n 16000] [--rounds 7]
#       [--krgdemo build/krgdemo]
#
# The peer is not part of krgdemo: build one yourself (e.g. the Benchmarks
# Game's C++ #4 with g++ -O3 -fopenmp, with and without -march=native, and
# keep the fastest whose output matches).
# Exit: 0 measured, 1 a run failed or the outputs differ, 2 usage.
set -euo pipefail

n=16000
rounds=7
krgdemo=build/krgdemo
peer=
usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --peer) peer="$2"; shift 2 ;;
    --n) n="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --krgdemo) krgdemo="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "classic_peer.sh: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n "$peer" ]] || usage
[[ "$n" =~ ^[1-9][0-9]{0,5}$ ]] || { echo "classic_peer.sh: --n $n: expected 1 to 999999" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]?$ ]] || { echo "classic_peer.sh: --rounds $rounds: expected 1 to 99" >&2; exit 2; }
[[ -x "$krgdemo" ]] || { echo "classic_peer.sh: no $krgdemo (build first)" >&2; exit 2; }
[[ -x "$peer" ]] || { echo "classic_peer.sh: $peer is not an executable" >&2; exit 2; }

work="$(mktemp -d /tmp/krgdemo-classic-peer-XXXXXX)"
trap 'rm -rf "$work"' EXIT

# shellcheck source=/dev/null  # bench/wall.sh is checked on its own
source "$(dirname "$0")/../wall.sh"
wall() { bench_wall classic_peer.sh "$work/err" "$@"; }

run_krgdemo() {
  rm -rf "$work/k"
  wall "$krgdemo" run mandelbrot --param variant=classic --param n="$n" \
    --repeat 1 --out "$work/k"
}
run_peer() { wall "$peer" "$n" "$work/peer.pbm"; }

echo "round  krgdemo_s  peer_s  ratio   load" >&2
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then
    k=$(run_krgdemo); p=$(run_peer)
  else
    p=$(run_peer); k=$(run_krgdemo)
  fi
  cmp -s "$work/k/mandelbrot.pbm" "$work/peer.pbm" ||
    { echo "classic_peer.sh: the PBM files differ (is the peer correct?)" >&2; exit 1; }
  echo "$round $k $p $(cut -d' ' -f1 /proc/loadavg)" >> "$work/log"
  awk -v r="$round" -v k="$k" -v p="$p" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { printf "%5d  %9.3f  %6.3f  %5.3f  %s\n", r, k, p, k / p, l }' >&2
done
/usr/bin/python3 - "$work/log" "$n" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
k = [float(r[1]) for r in rows]; p = [float(r[2]) for r in rows]
ratios = [a / b for a, b in zip(k, p)]
print(f"classic n={sys.argv[2]}, {len(rows)} rounds: krgdemo {statistics.median(k):.3f} s, "
      f"peer {statistics.median(p):.3f} s (medians); krgdemo/peer {statistics.median(ratios):.3f} "
      f"(median of per-round ratios, {min(ratios):.3f}..{max(ratios):.3f}); outputs identical")
PY
