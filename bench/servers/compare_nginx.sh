#!/usr/bin/env bash
# Static 1 KiB file: the webfarm (2 single-threaded server processes) against
# Debian's nginx (2 worker processes, access log off, its own generated
# config), both on loopback serving the same file at the same URL path,
# measured with wrk -t2 -c64 for 10 s each, interleaved (the order flips
# every round), several rounds; prints every round, then medians and ratios.
#
#   bench/servers/compare_nginx.sh [build/krgdemo] [rounds]
# nginx listens with `reuseport` (one socket per worker, as the farm has one
# per server; without it one nginx worker tends to take most of wrk's 64
# connections at once).
# Environment: DURATION (10s), CONNS (64), WRK_THREADS (2), NGINX_PORT
# (18080), FARM_PORT (18081), WRK_CPUS (a taskset CPU list for wrk, e.g. 1;
# default: unpinned), NGINX_FILE_CACHE=1 (add open_file_cache: nginx then
# skips the open and fstat of every request).
set -euo pipefail

krgdemo=${1:-build/krgdemo}
rounds=${2:-5}
duration=${DURATION:-10s}
conns=${CONNS:-64}
wrk_threads=${WRK_THREADS:-2}
nginx_port=${NGINX_PORT:-18080}
farm_port=${FARM_PORT:-18081}

for tool in wrk nginx wget "$krgdemo"; do
  command -v "$tool" >/dev/null || { echo "compare_nginx: $tool not found" >&2; exit 2; }
done

work=$(mktemp -d /tmp/krg-nginx-XXXXXX)
farm_pid=""
cleanup() {
  if [[ -n "$farm_pid" ]]; then
    kill -INT "$farm_pid" 2>/dev/null || true
    wait "$farm_pid" 2>/dev/null || true
  fi
  if [[ -f "$work/nginx.pid" ]]; then
    kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [[ -f "$work/nginx.pid" ]] || break; sleep 0.1; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/static" "$work/tmp"
chmod 755 "$work" "$work/static"
head -c 1024 /dev/urandom >"$work/static/1k.bin"
chmod 644 "$work/static/1k.bin"

file_cache=""
[[ -n "${NGINX_FILE_CACHE:-}" ]] && file_cache="open_file_cache max=1000 inactive=60s;"
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
worker_cpu_affinity auto;
daemon on;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  $file_cache
  default_type application/octet-stream;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server {
    listen 127.0.0.1:$nginx_port reuseport;
    location /static/ { alias $work/static/; }
  }
}
CONF
nginx -c "$work/nginx.conf"

"$krgdemo" run webfarm --nodes 2 --param serve_only=1 \
  --param port="$farm_port" --param static_dir="$work/static" \
  --out "$work/farm" >"$work/farm.log" 2>&1 &
farm_pid=$!
for _ in $(seq 100); do
  grep -q "Ctrl-C stops" "$work/farm.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "Ctrl-C stops" "$work/farm.log" || { cat "$work/farm.log" >&2; exit 1; }

# Both must serve the very same bytes.
for port in "$nginx_port" "$farm_port"; do
  url="http://127.0.0.1:$port/static/1k.bin"
  if ! cmp -s <(wget -qO- "$url") "$work/static/1k.bin"; then
    echo "compare_nginx: $url does not serve the file" >&2
    exit 1
  fi
done

pin=()
[[ -n "${WRK_CPUS:-}" ]] && pin=(taskset -c "$WRK_CPUS")

# Prints "req_per_s p99_ms" for one wrk run.
measure() {
  "${pin[@]}" wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency "$1" |
    awk '/Requests\/sec:/ {rps = $2}
         / 99%/ {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                 ms = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v}
         /Non-2xx|Socket errors/ {print "compare_nginx: " $0 > "/dev/stderr"}
         END {printf "%s %s\n", rps, ms}'
}

echo "round server req/s p99_ms"
: >"$work/results"
for r in $(seq "$rounds"); do
  order=(nginx webfarm)
  (( r % 2 == 0 )) && order=(webfarm nginx)
  for who in "${order[@]}"; do
    port=$nginx_port
    [[ $who == webfarm ]] && port=$farm_port
    read -r rps p99 < <(measure "http://127.0.0.1:$port/static/1k.bin")
    echo "$r $who $rps $p99" | tee -a "$work/results"
  done
done

/usr/bin/python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def med(who, col):
    return statistics.median(float(r[col]) for r in rows if r[1] == who)
n, w = med("nginx", 2), med("webfarm", 2)
print(f"median req/s: webfarm {w:.0f}, nginx {n:.0f}, ratio {w / n:.3f}")
print(f"median p99 ms: webfarm {med('webfarm', 3):.2f}, "
      f"nginx {med('nginx', 3):.2f}")
by_round = {}
for r in rows:
    by_round.setdefault(r[0], {})[r[1]] = float(r[2])
ratios = [v["webfarm"] / v["nginx"] for v in by_round.values()]
print("per-round ratio webfarm/nginx:", " ".join(f"{x:.3f}" for x in ratios),
      f"(median {statistics.median(ratios):.3f})")
PY
