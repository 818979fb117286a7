#!/usr/bin/env bash
# imgpipe against its Python peer (imgpipe_python.py: the same OpenCV stages,
# multiprocessing.Pool), whole commands as a user times them, on the same
# folder of images with the same number of workers, interleaved rounds whose
# order flips every round. Checks that every output decodes to the same
# picture (edge IoU 1.0), then prints each round, the medians and the median
# of the per-round ratios python/krgdemo. Also times both on one image (their
# fixed cost: start-up, OpenCV loading, the pool) and krgdemo's threads
# engine with 1 thread (the OpenCV work of the whole set on one CPU, which
# both programs share).
#
#   bench/imaging/imgpipe_vs_python.sh INPUT_DIR [--workers 2] [--rounds 7]
#       [--krgdemo build/krgdemo]
#
# Needs Debian's python3-opencv. A set to try: three copies of the
# opencv-doc package's examples/data images (273 files).
# Exit: 0 measured, 1 a run failed or the outputs differ, 2 usage.
set -euo pipefail

workers=2
rounds=7
krgdemo=build/krgdemo
input=
usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) workers="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --krgdemo) krgdemo="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "imgpipe_vs_python.sh: unknown option $1" >&2; usage ;;
    *) input="$1"; shift ;;
  esac
done
[[ -n "$input" && -d "$input" ]] || usage
[[ "$workers" =~ ^[1-9][0-9]?$ ]] || { echo "imgpipe_vs_python.sh: --workers $workers: expected 1 to 99" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]?$ ]] || { echo "imgpipe_vs_python.sh: --rounds $rounds: expected 1 to 99" >&2; exit 2; }
[[ -x "$krgdemo" ]] || { echo "imgpipe_vs_python.sh: no $krgdemo (build first)" >&2; exit 2; }
/usr/bin/python3 -c 'import cv2' 2>/dev/null ||
  { echo "imgpipe_vs_python.sh: needs python3-opencv (apt-get install python3-opencv)" >&2; exit 2; }
peer="$(dirname "$0")/imgpipe_python.py"

work="$(mktemp -d /tmp/krgdemo-imgpipe-python-XXXXXX)"
trap 'rm -rf "$work"' EXIT

# shellcheck source=/dev/null  # bench/wall.sh is checked on its own
source "$(dirname "$0")/../wall.sh"
wall() { bench_wall imgpipe_vs_python.sh "$work/err" "$@"; }
run_k() {  # DIR OUT
  rm -rf "$2"
  wall "$krgdemo" run imgpipe --param input="$1" --engine procs \
    --nodes "$workers" --repeat 1 --out "$2"
}
run_p() {  # DIR OUT
  rm -rf "$2"
  wall /usr/bin/python3 "$peer" "$1" "$2" --workers "$workers"
}

echo "round  krgdemo_s  python_s  python/krgdemo  load" >&2
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then
    k=$(run_k "$input" "$work/k"); p=$(run_p "$input" "$work/p")
  else
    p=$(run_p "$input" "$work/p"); k=$(run_k "$input" "$work/k")
  fi
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "$round $k $p" >> "$work/log"
  awk -v r="$round" -v k="$k" -v p="$p" -v l="$load" \
    'BEGIN { printf "%5d  %9.3f  %8.3f  %14.3f  %s\n", r, k, p, p / k, l }' >&2
done

# Fixed costs: one image.
mkdir "$work/one"
first=$(find "$input" -maxdepth 1 -type f | sort | head -1)
cp "$first" "$work/one/"
k1=$(run_k "$work/one" "$work/k1"); p1=$(run_p "$work/one" "$work/p1")
# The shared OpenCV work: krgdemo's threads engine, one thread, one pass.
rm -rf "$work/t"
"$krgdemo" run imgpipe --param input="$input" --engine threads --threads 1 \
  --repeat 3 --json --out "$work/t" > "$work/t.json" 2> "$work/err" ||
  { echo "imgpipe_vs_python.sh: threads run failed ($(tail -1 "$work/err"))" >&2; exit 1; }

/usr/bin/python3 - "$work" "$k1" "$p1" "$workers" <<'PY'
import json, os, statistics, sys
import cv2
import numpy as np
work, k1, p1, workers = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rows = [l.split() for l in open(os.path.join(work, "log"))]
k = [float(r[1]) for r in rows]; p = [float(r[2]) for r in rows]
ratios = [b / a for a, b in zip(k, p)]
a_dir, b_dir = os.path.join(work, "k", "images"), os.path.join(work, "p")
names = sorted(os.listdir(a_dir))
if names != sorted(os.listdir(b_dir)):
    sys.exit("imgpipe_vs_python.sh: the two programs wrote different file names")
worst = 1.0
for n in names:
    a = cv2.imread(os.path.join(a_dir, n), cv2.IMREAD_GRAYSCALE) > 0
    b = cv2.imread(os.path.join(b_dir, n), cv2.IMREAD_GRAYSCALE) > 0
    if a.shape != b.shape:
        sys.exit(f"imgpipe_vs_python.sh: {n}: sizes differ")
    union = np.logical_or(a, b).sum()
    worst = min(worst, 1.0 if union == 0 else np.logical_and(a, b).sum() / union)
t1 = json.load(open(os.path.join(work, "t.json")))["runs"][0]["median_s"]
print(f"{len(names)} images, {workers} workers, {len(rows)} rounds: krgdemo "
      f"{statistics.median(k):.3f} s, python {statistics.median(p):.3f} s (medians); "
      f"python/krgdemo {statistics.median(ratios):.2f}x (median of per-round ratios, "
      f"{min(ratios):.2f}..{max(ratios):.2f}); worst edge IoU {worst:.4f}")
print(f"fixed cost (one image): krgdemo {k1:.3f} s, python {p1:.3f} s; OpenCV work on one CPU "
      f"(threads x1 pass): {t1:.3f} s, i.e. {t1 / workers:.3f} s on {workers} workers")
if worst < 1.0:
    sys.exit(1)
PY
