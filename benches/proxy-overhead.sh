#!/usr/bin/env bash
# benches/proxy-overhead.sh — what phoenix-proxy (scenarios/apps/proxy) costs a link with no
# toxic: the demo app run natively, loaded by oha directly and through the proxy, side by
# side in one run, alternating direct/proxy. Prints a Markdown table: p50 and p99 latency at
# a fixed rate, throughput in a closed loop, the proxy's added latency and its share of the
# direct throughput, and whether the goals hold (at most 0.1 ms added at p50, at least 90 %
# of the direct throughput). Then the same for Redis with redis-benchmark, when a
# redis-server is on the PATH. Not part of the test suite: it measures, it does not judge
# the build. Loopback only; every process it starts is killed on exit.
#
#   bash benches/proxy-overhead.sh              # about 3 minutes, after the release build
#   OVERHEAD_SECS=5 OVERHEAD_RATE=2000 bash benches/proxy-overhead.sh
#
# Needs cargo, curl, jq and oha (`cargo install oha --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${OVERHEAD_SECS:-10}      # each oha run
rate=${OVERHEAD_RATE:-1000}    # the fixed-rate rows, requests per second
conns=${OVERHEAD_CONNECTIONS:-16}
reps=2                         # direct, proxy, direct, proxy

for tool in oha jq curl; do
  if ! command -v "$tool" >/dev/null; then
    case $tool in
      oha) echo "proxy-overhead.sh: oha is missing: cargo install oha --locked" >&2 ;;
      *) echo "proxy-overhead.sh: $tool is missing" >&2 ;;
    esac
    exit 1
  fi
done

echo "proxy-overhead.sh: building phoenix-proxy and phoenix-demo (release)" >&2
cargo build --release --locked --quiet -p phoenix-proxy -p phoenix-demo
bin=${CARGO_TARGET_DIR:-target}/release

free_port() { # a port nothing listens on (bound right after)
  local p
  for _ in $(seq 1 1000); do
    p=$(( (RANDOM % 20000) + 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "proxy-overhead.sh: no free port" >&2; exit 1
}
pids=()
scratch=$(mktemp -d)   # the demo's files and the processes' logs
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

wait_ready() { # file pattern (the proxy's ready line, redis's log), at most 10 s
  for _ in $(seq 1 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "proxy-overhead.sh: no '$2' in $1" >&2; cat "$1" >&2; exit 1
}
wait_http() { # url, at most 10 s
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "proxy-overhead.sh: $1 did not answer" >&2; exit 1
}

# the demo, natively, on loopback
demo_port=$(free_port)
LISTEN=127.0.0.1:$demo_port STARTUP_DELAY_MS=0 UPLOADS=shared SHARED_DIR="$scratch/uploads" \
  SESSION_DIR="$scratch/sessions" "$bin/phoenix-demo" >"$scratch/demo.log" 2>&1 &
demo_pid=$!
pids+=($demo_pid)
direct=http://127.0.0.1:$demo_port/
wait_http "$direct"

# the proxy in front of it (and of Redis, if there is one)
api_port=$(free_port); http_port=$(free_port); redis_port=$(free_port); redis_proxy_port=$(free_port)
proxy_args=(--api "127.0.0.1:$api_port" --proxy "http=127.0.0.1:$http_port=127.0.0.1:$demo_port")
have_redis=0
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  have_redis=1
  proxy_args+=(--proxy "redis=127.0.0.1:$redis_proxy_port=127.0.0.1:$redis_port")
fi
"$bin/phoenix-proxy" "${proxy_args[@]}" >"$scratch/proxy.log" 2>&1 &
proxy_pid=$!
pids+=($proxy_pid)
wait_ready "$scratch/proxy.log" '^phoenix-proxy ready$'
proxied=http://127.0.0.1:$http_port/
wait_http "$proxied"

# one oha run: "p50_ms p99_ms req_per_s"; rate "max" is the closed loop
oha_run() { # url rate
  local args=(-z "${secs}s" -c "$conns" --no-tui --output-format json)
  [[ $2 != max ]] && args+=(-q "$2" --latency-correction)
  oha "${args[@]}" "$1" 2>/dev/null |
    jq -r '"\(.latencyPercentiles.p50 * 1000) \(.latencyPercentiles.p99 * 1000) \(.summary.requestsPerSec)"'
}
ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }   # user, system CPU (clock ticks)
mean() { awk '{ for (i = 1; i <= NF; i++) s[i] += $i } END { for (i = 1; i <= NF; i++) printf "%s%.4f", (i > 1 ? " " : ""), s[i] / NR; print "" }'; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A res
cpu=""
for row in "$rate" max; do
  d=""; p=""
  for _ in $(seq 1 "$reps"); do
    d+="$(oha_run "$direct" "$row")"$'\n'
    read -r pu0 ps0 <<<"$(ticks "$proxy_pid")"; read -r du0 ds0 <<<"$(ticks "$demo_pid")"
    one=$(oha_run "$proxied" "$row")
    read -r pu1 ps1 <<<"$(ticks "$proxy_pid")"; read -r du1 ds1 <<<"$(ticks "$demo_pid")"
    p+="$one"$'\n'
    # where the time goes: CPU per request of the proxy (user, system) and of the demo
    if [[ $row == max ]]; then
      cpu+="$(awk -v r="${one##* }" -v s="$secs" -v hz="$(getconf CLK_TCK)" \
        -v pu=$((pu1 - pu0)) -v ps=$((ps1 - ps0)) -v d=$((du1 - du0 + ds1 - ds0)) 'BEGIN {
          n = r * s; u = 1e6 / hz / n; printf "%.1f %.1f %.1f\n", pu * u, ps * u, d * u }')"$'\n'
    fi
  done
  res[$row.direct]=$(printf '%s' "$d" | mean)
  res[$row.proxy]=$(printf '%s' "$p" | mean)
done

echo
echo "| row (oha, $conns keep-alive connections, ${secs} s, mean of $reps alternating runs) | direct p50 / p99 ms | proxy p50 / p99 ms | added p50 ms | added p99 ms | direct req/s | proxy req/s | proxy/direct |"
echo "|---|---|---|---|---|---|---|---|"
for row in "$rate" max; do
  read -r dp50 dp99 drps <<<"${res[$row.direct]}"
  read -r pp50 pp99 prps <<<"${res[$row.proxy]}"
  label=$([[ $row == max ]] && echo "closed loop (unbounded)" || echo "fixed rate $row req/s")
  awk -v l="$label" -v a="$dp50" -v b="$dp99" -v c="$drps" -v x="$pp50" -v y="$pp99" -v z="$prps" 'BEGIN {
    printf "| %s | %.3f / %.3f | %.3f / %.3f | %+.3f | %+.3f | %.0f | %.0f | %.1f %% |\n",
      l, a, b, x, y, x - a, y - b, c, z, (c > 0 ? 100 * z / c : 0) }'
done
read -r dp50 _ _ <<<"${res[$rate.direct]}"; read -r pp50 _ _ <<<"${res[$rate.proxy]}"
read -r _ _ drps <<<"${res[max.direct]}"; read -r _ _ prps <<<"${res[max.proxy]}"
echo
awk -v a="$dp50" -v x="$pp50" -v c="$drps" -v z="$prps" 'BEGIN {
  added = x - a; share = (c > 0 ? 100 * z / c : 0)
  printf "goal p50 added <= 0.1 ms at %s req/s: %s (%+.3f ms)\n", "'"$rate"'", (added <= 0.1 ? "met" : "missed"), added
  printf "goal throughput >= 90 %% of direct: %s (%.1f %%)\n", (share >= 90 ? "met" : "missed"), share }'
printf '%s' "$cpu" | mean | awk -v n="$(nproc)" '{ printf "CPU per request in the closed loop through the proxy: proxy %.1f µs user + %.1f µs system, demo %.1f µs (oha, the demo and the proxy share %s cores)\n", $1, $2, $3, n }'

if [[ $have_redis == 1 ]]; then
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    >"$scratch/redis.log" 2>&1 &
  pids+=($!)
  wait_ready "$scratch/redis.log" 'Ready to accept connections'
  # "SET: 123.45 requests per second, p50=0.123 msec" -> "set rps p50"
  bench() { # port
    timeout 300 redis-benchmark -p "$1" -t get,set -n 100000 -q 2>/dev/null | tr '\r' '\n' |
      awk -F'[:,= ]+' '/requests per second/ { printf "%s %s %s\n", tolower($1), $2, $(NF-1) }'
  }
  d=""; p=""
  for _ in $(seq 1 "$reps"); do d+="$(bench "$redis_port")"$'\n'; p+="$(bench "$redis_proxy_port")"$'\n'; done
  echo
  echo "| redis-benchmark -n 100000 (mean of $reps alternating runs) | direct req/s, p50 ms | proxy req/s, p50 ms | added p50 ms | proxy/direct |"
  echo "|---|---|---|---|---|"
  for t in set get; do
    read -r dr dl <<<"$(printf '%s' "$d" | awk -v t="$t" '$1 == t { print $2, $3 }' | mean)"
    read -r pr pl <<<"$(printf '%s' "$p" | awk -v t="$t" '$1 == t { print $2, $3 }' | mean)"
    awk -v t="$t" -v a="$dr" -v b="$dl" -v x="$pr" -v y="$pl" 'BEGIN {
      printf "| %s | %.0f, %.3f | %.0f, %.3f | %+.3f | %.1f %% |\n", toupper(t), a, b, x, y, y - b, (a > 0 ? 100 * x / a : 0) }'
  done
else
  echo
  echo "redis: skipped (redis-server and redis-benchmark are not both on the PATH; Debian: apt-get install redis-server)"
fi
echo
echo "machine: $(nproc) cores, $(uname -sr); $(oha --version); load average before: $load0"
