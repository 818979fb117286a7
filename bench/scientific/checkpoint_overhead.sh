#!/bin/bash
# Checkpoint overhead of an SPMD run (the target: <= 3% at one
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
# Wall time on a shared machine swings with the others' load; the script
# also prints the CPU time (user + sys of krgdemo and its ranks, from
# /usr/bin/time) each side used, and the extra CPU per checkpoint set: that
# part of the cost hardly depends on the load. Kernel threads (page-cache
# writeback) and the disk are not in it.
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

# One run; prints "ms_per_iteration checksum sets_written cpu_seconds".
one() {
  local dir=$1
  shift
  rm -rf "$dir"
  /usr/bin/time -o "$dir.time" -f "%U %S" "$krgdemo" run poisson --size "$size" "${engine_opts[@]}" \
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
user, sys_ = open(d + ".time").read().split()[-2:]
print(m["time_per_iteration"]["value"], run.get("checksum", ""),
      sets.group(1) if sets else 0, float(user) + float(sys_))
EOF
}

echo "poisson --size $size, $engine x$nodes, $maxiter iterations, checkpoint every ${every} s, $rounds rounds"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
plain=() ckpt=() ratios=() extra_cpu=()
for ((r = 1; r <= rounds; r++)); do
  order=(plain ckpt)
  ((r % 2 == 0)) && order=(ckpt plain)
  for mode in "${order[@]}"; do
    if [ "$mode" = plain ]; then
      read -r p_ms p_sum _ p_cpu <<<"$(one "$out/plain-$r")"
    else
      read -r c_ms c_sum c_sets c_cpu <<<"$(one "$out/ckpt-$r" --checkpoint-every "$every")"
    fi
  done
  if [ "$p_sum" != "$c_sum" ]; then
    echo "checkpoint_overhead.sh: round $r: checksums differ ($p_sum plain, $c_sum checkpointed)" >&2
    exit 1
  fi
  ratio=$("$python" -c "print(f'{$c_ms / $p_ms:.3f}')")
  per_set=$("$python" -c "print(f'{($c_cpu - $p_cpu) / max($c_sets, 1) * 1e3:.1f}')")
  printf 'round %d: plain %.2f ms/it, checkpointed %.2f ms/it (%s sets), ratio %s; CPU %.2f vs %.2f s (%s ms more per set); load %s\n' \
    "$r" "$p_ms" "$c_ms" "$c_sets" "$ratio" "$p_cpu" "$c_cpu" "$per_set" "$(cut -d' ' -f1 /proc/loadavg)"
  plain+=("$p_ms") ckpt+=("$c_ms") ratios+=("$ratio") extra_cpu+=("$per_set")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "${plain[*]}" "${ckpt[*]}" "${ratios[*]}" "${extra_cpu[*]}" "$every" "$nodes" <<'EOF'
import statistics, sys
p, c, q, e = ([float(v) for v in a.split()] for a in sys.argv[1:5])
every, nodes = float(sys.argv[5]), int(sys.argv[6])
print(f"median plain {statistics.median(p):.2f} ms/it, checkpointed "
      f"{statistics.median(c):.2f} ms/it; ratio of medians "
      f"{statistics.median(c) / statistics.median(p):.3f}; median per-round "
      f"ratio {statistics.median(q):.3f} (overhead "
      f"{(statistics.median(q) - 1) * 100:+.1f}%)")
# On a machine whose cores the ranks fill (one rank per core), a set's CPU
# time comes out of the ranks' time: between extra / (every * nodes) (the
# work spread evenly over the ranks) and extra / every (all of it on one
# core, which the others then wait for at the next barrier).
x = statistics.median(e) / 1e3 / every * 100
print(f"median extra CPU per checkpoint set {statistics.median(e):.1f} ms: "
      f"an overhead of {x / nodes:.1f}% to {x:.1f}% of the iteration time "
      f"on {nodes} busy cores at one set per {every:g} s")
EOF
echo "runs in $out"
