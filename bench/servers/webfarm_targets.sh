#!/usr/bin/env bash
# The webfarm's scaling and reliability targets, measured with krgdemo itself:
#  1. tiles: req/s of 2 nodes against 1 node (each round runs both points,
#     1 then 2, under wrk with CONNS connections for DURATION s), ROUNDS rounds;
#  2. kills: wrk with 256 connections for 30 s on 2 nodes while a server is
#     SIGKILLed every 5 s; failed requests / all requests.
#
#   bench/servers/webfarm_targets.sh [build/krgdemo] [rounds]
# Environment: CONNS (16), DURATION (10), CHAOS_LOAD (static: what the kill
# run requests; tile or mixed also work), SKIP_TILES=1, SKIP_CHAOS=1.
set -euo pipefail

krgdemo=${1:-build/krgdemo}
rounds=${2:-3}
conns=${CONNS:-16}
duration=${DURATION:-10}
work=$(mktemp -d /tmp/krg-webfarm-XXXXXX)
trap 'rm -rf "$work"' EXIT

if [[ -z "${SKIP_TILES:-}" ]]; then
  for r in $(seq "$rounds"); do
    "$krgdemo" run webfarm --nodes 2 --param load=tile --param port=0 \
      --param connections="$conns" --param duration="$duration" \
      --out "$work/tiles-$r" >"$work/tiles-$r.txt" 2>&1 ||
      { cat "$work/tiles-$r.txt" >&2; exit 1; }
  done
  /usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
one, two, ratio = [], [], []
for r in range(1, rounds + 1):
    pts = json.load(open(f"{work}/tiles-{r}/run.json"))["service"]["points"]
    p1 = next(p for p in pts if p["nodes"] == 1)
    p2 = next(p for p in pts if p["nodes"] == 2)
    a, b = p1["requests_per_s"], p2["requests_per_s"]
    one.append(a); two.append(b); ratio.append(b / a)
    def info(p):
        return (f"{p['requests_per_s']:.1f} req/s, {p['server_cpu_s']:.1f} "
                f"CPU s, {p['server_wait_s']:.1f} s waiting for a CPU, "
                f"{p['requests_per_cpu_s']:.1f} req/CPU s")
    print(f"round {r}: 1 node {info(p1)}; 2 nodes {info(p2)}; "
          f"ratio {b / a:.3f}")
print(f"tiles median: 1 node {statistics.median(one):.1f}, 2 nodes "
      f"{statistics.median(two):.1f}, ratio of medians "
      f"{statistics.median(two) / statistics.median(one):.3f}, median ratio "
      f"{statistics.median(ratio):.3f}")
PY
fi

if [[ -z "${SKIP_CHAOS:-}" ]]; then
  status=0
  "$krgdemo" run webfarm --nodes 2 --param sweep=0 --param port=0 \
    --param load="${CHAOS_LOAD:-static}" --param connections=256 \
    --param duration=30 --param kill_every=5 \
    --out "$work/chaos" >"$work/chaos.txt" 2>&1 || status=$?
  cat "$work/chaos.txt"
  /usr/bin/python3 - "$work/chaos/run.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["service"]["points"][0]
print(f"kills: {p['kills']} kills, {p['restarts']} restarts, "
      f"{p['requests']} requests, {p['errors']} failed, error rate "
      f"{100 * p['error_rate']:.3f}%, p99 {p['latency_ms']['p99']:.1f} ms")
PY
  grep "restarted as" "$work/chaos/krgdemo.log" || true
  exit "$status"
fi
