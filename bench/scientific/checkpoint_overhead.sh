#!/bin/bash
# Checkpoint overhead of an SPMD run (issue 4's target: <= 3% at one
# checkpoint per second on poisson `large`).
#
# Runs `krgdemo run poisson` ROUNDS times without and with
# `--checkpoint-every EVERY`, interleaved (ABBA order: round 1 plain then
# checkpointed, round 2 the other way round, ...), so that a change in the
# machine's load hits both sides alike. The figure is run.json's
# metrics.time_per_iteration (the CG loop only: set-up, the final residual
# and result files are not in it). Prints every run, the medians, the median
# of the per-round ratios (checkpointed / plain) and the load averages
# before and after, and checks that both sides end with the same checksum
# (checkpoints must not change the answer).
#
# The runs stop at MAXITER iterations, before CG converges, so krgdemo
# reports them as not verified (exit 1); that is expected here.
#
# Usage: bench/scientific/checkpoint_overhead.sh [options]
#   --krgdemo PATH   the binary (default build/krgdemo)
#   --rounds N       rounds of one plain and one checkpointed run (default 5)
#   --engine E       threads or procs (default procs)
#   --nodes N        ranks (default 2)
#   --size S         poisson size (default large: 2048^2 unknowns, 100 MB
#                    of x, r and p per checkpoint)
#   --maxiter N      CG iterations per run (default 600)
#   --every S        seconds between checkpoints (default 1)
#   --out DIR        where the runs go (default: a fresh folder under /tmp)
# Example (what the figures in docs/demos.md come from):
#   bench/scientific/checkpoint_overhead.sh --rounds 6
#   bench/scientific/checkpoint_overhead.sh --engine threads --rounds 4
set -euo pipefail

krgdemo=build/krgdemo
rounds=5
engine=procs
nodes=2
size=large
maxiter=600
every=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --krgdemo) krgdemo=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --maxiter) maxiter=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "checkpoint_overhead.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ ! -x "$krgdemo" ]; then
  echo "checkpoint_overhead.sh: no binary at $krgdemo (build first, or --krgdemo PATH)" >&2
  exit 2
fi
case "$rounds" in ''|*[!0-9]*|0) echo "checkpoint_overhead.sh: --rounds wants a positive integer" >&2; exit 2 ;; esac
[ -n "$out" ] || out=$(mktemp -d /tmp/krg_ckpt_overhead.XXXXXX)
mkdir -p "$out"
python=/usr/bin/python3
[ -x "$python" ] || python=python3

engine_opts=(--engine "$engine")
if [ "$engine" = threads ]; then
  engine_opts+=(--threads "$nodes")
else
  engine_opts+=(--nodes "$nodes")
fi

# One run; prints "ms_per_iteration checksum sets_written".
one() {
  local dir=$1
  shift
  rm -rf "$dir"
  "$krgdemo" run poisson --size "$size" "${engine_opts[@]}" \
    --param maxiter="$maxiter" --param stream=0 --repeat 1 --out "$dir" "$@" \
    >"$dir.log" 2>&1 || true
  if [ ! -f "$dir/run.json" ]; then
    echo "checkpoint_overhead.sh: the run in $dir failed; see $dir.log" >&2
    exit 1
  fi
  "$python" - "$dir" <<'EOF'
import json, re, sys
d = sys.argv[1]
r = json.load(open(d + "/run.json"))
run = r["runs"][0] if "runs" in r else r
m = run.get("metrics", r.get("metrics"))
log = open(d + "/krgdemo.log").read()
sets = re.search(r"(\d+) checkpoint\(s\) written", log)
print(m["time_per_iteration"]["value"], run.get("checksum", ""),
      sets.group(1) if sets else 0)
EOF
}

echo "poisson --size $size, $engine x$nodes, $maxiter iterations, checkpoint every ${every} s, $rounds rounds"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
plain=() ckpt=() ratios=()
for ((r = 1; r <= rounds; r++)); do
  order=(plain ckpt)
  ((r % 2 == 0)) && order=(ckpt plain)
  for mode in "${order[@]}"; do
    if [ "$mode" = plain ]; then
      read -r p_ms p_sum _ <<<"$(one "$out/plain-$r")"
    else
      read -r c_ms c_sum c_sets <<<"$(one "$out/ckpt-$r" --checkpoint-every "$every")"
    fi
  done
  if [ "$p_sum" != "$c_sum" ]; then
    echo "checkpoint_overhead.sh: round $r: checksums differ ($p_sum plain, $c_sum checkpointed)" >&2
    exit 1
  fi
  ratio=$("$python" -c "print(f'{$c_ms / $p_ms:.3f}')")
  printf 'round %d: plain %.2f ms/it, checkpointed %.2f ms/it (%s sets), ratio %s, load %s\n' \
    "$r" "$p_ms" "$c_ms" "$c_sets" "$ratio" "$(cut -d' ' -f1 /proc/loadavg)"
  plain+=("$p_ms") ckpt+=("$c_ms") ratios+=("$ratio")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "${plain[*]}" "${ckpt[*]}" "${ratios[*]}" <<'EOF'
import statistics, sys
p, c, q = ([float(v) for v in a.split()] for a in sys.argv[1:4])
print(f"median plain {statistics.median(p):.2f} ms/it, checkpointed "
      f"{statistics.median(c):.2f} ms/it; ratio of medians "
      f"{statistics.median(c) / statistics.median(p):.3f}; median per-round "
      f"ratio {statistics.median(q):.3f} (overhead "
      f"{(statistics.median(q) - 1) * 100:+.1f}%)")
EOF
echo "runs in $out"
