#!/usr/bin/env bash
# Compares engines and node counts on one demo, measured in the same run:
# R rounds, each running every configuration once (`krgdemo run ... --json`),
# so that a change in machine load hits every configuration alike. Prints,
# per configuration, the median over rounds of each run's median pass time,
# the checksums seen (all must agree), the iteration count (poisson), then
# each engine's speedup over its first node count and every engine's time
# over the first engine's at the same node count. The 1-minute load average
# before each round is printed too: quote it with the figures.
#
#   bench/scientific/engines_interleaved.sh [--rounds 5] [--repeat 1]
#       [--configs procs:1,procs:2,mpi:1,mpi:2] [--krgdemo build/krgdemo]
#       DEMO SIZE [-- EXTRA RUN OPTIONS]
#
# e.g. bench/scientific/engines_interleaved.sh mandelbrot large
#      bench/scientific/engines_interleaved.sh poisson medium
#      bench/scientific/engines_interleaved.sh --configs threads:1,mpi:1 \
#          poisson test -- --param dim=3
# Exit: 0 all runs verified and checksums agree, 1 otherwise, 2 usage.
set -euo pipefail

rounds=5
repeat=1
configs="procs:1,procs:2,mpi:1,mpi:2"
krgdemo="build/krgdemo"
usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --configs) configs="$2"; shift 2 ;;
    --krgdemo) krgdemo="$2"; shift 2 ;;
    -h|--help) usage ;;
    --) break ;;
    -*) echo "engines_interleaved.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || usage
demo="$1"; size="$2"; shift 2
[[ "${1:-}" == "--" ]] && shift
extra=("$@")
[[ -x "$krgdemo" ]] || { echo "engines_interleaved.sh: no $krgdemo (build first)" >&2; exit 2; }

work="$(mktemp -d /tmp/krgdemo-interleaved-XXXXXX)"
trap 'rm -rf "$work"' EXIT
IFS=',' read -r -a points <<< "$configs"

for ((round = 1; round <= rounds; round++)); do
  echo "round $round/$rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  echo "load $round $(cut -d' ' -f1 /proc/loadavg)" >> "$work/log"
  for point in "${points[@]}"; do
    engine="${point%%:*}"; nodes="${point##*:}"
    args=(run "$demo" --size "$size" --engine "$engine" --nodes "$nodes"
          --repeat "$repeat" --json --out "$work/out-$point-$round")
    # threads: one thread per node, so that N means N workers everywhere.
    [[ "$engine" == threads ]] && args+=(--threads "$nodes")
    if "$krgdemo" "${args[@]}" "${extra[@]}" > "$work/run.json" 2> "$work/err"; then
      /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1])); r = j["runs"][0]
it = j.get("metrics", {}).get("iterations", {}).get("value", "-")
print("run", sys.argv[2], r["median_s"], r["checksum"], r["verified"], it)
' "$work/run.json" "$point" >> "$work/log"
    else
      echo "run $point failed: $(tail -1 "$work/err")" >&2
      echo "run $point nan failed False -" >> "$work/log"
    fi
  done
done

/usr/bin/python3 - "$work/log" "$configs" <<'EOF'
import statistics, sys
points = sys.argv[2].split(",")
times, sums, iters, ok, loads = {p: [] for p in points}, {}, {}, True, []
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "load":
        loads.append(float(f[2]))
        continue
    p, t, cs, verified, it = f[1], float(f[2]), f[3], f[4] == "True", f[5]
    ok = ok and verified
    if verified:
        times[p].append(t)
    sums.setdefault(cs, []).append(p)
    iters.setdefault(p, set()).add(it)
med = {p: statistics.median(v) if v else float("nan") for p, v in times.items()}
print(f"{'config':10} {'median s':>10} {'min s':>9} {'max s':>9}  runs  iterations")
for p in points:
    v = times[p]
    print(f"{p:10} {med[p]:10.4f} {min(v, default=float('nan')):9.4f} "
          f"{max(v, default=float('nan')):9.4f}  {len(v):4d}  {','.join(sorted(iters[p]))}")
print("checksums: " + "; ".join(f"{c} ({len(ps)} runs)" for c, ps in sums.items()))
if len(sums) != 1:
    ok = False
    print("CHECKSUMS DIFFER")
print(f"load average (1 min) before the rounds: "
      + ", ".join(f"{x:.2f}" for x in loads)
      + f"; median {statistics.median(loads):.2f}")
engines = []
for p in points:
    e = p.split(":")[0]
    if e not in engines:
        engines.append(e)
for e in engines:
    mine = [p for p in points if p.startswith(e + ":")]
    for p in mine[1:]:
        print(f"speedup {e} {mine[0]} -> {p}: {med[mine[0]] / med[p]:.2f}x")
base = engines[0]
for e in engines[1:]:
    for p in points:
        if p.startswith(e + ":"):
            q = base + ":" + p.split(":")[1]
            if q in med:
                print(f"{p} / {q}: {med[p] / med[q]:.2f} (time ratio; < 1: {e} faster)")
sys.exit(0 if ok else 1)
EOF
