#!/usr/bin/env bash
# Sourced by the interleaved peer benchmarks (bench/*/classic_peer.sh,
# imgpipe_vs_python.sh). bench_wall NAME ERRFILE COMMAND...: runs COMMAND
# with its output discarded and prints its wall time in seconds (bash's own
# clock, no fork of time); on failure says so as NAME with the last line of
# its stderr (kept in ERRFILE) and exits 1.
bench_wall() {
  local name="$1" err="$2" start end
  shift 2
  start=$EPOCHREALTIME
  "$@" > /dev/null 2> "$err" || { echo "$name: failed: $* ($(tail -1 "$err"))" >&2; exit 1; }
  end=$EPOCHREALTIME
  echo "$start $end" | awk '{printf "%.4f", $2 - $1}'
}
