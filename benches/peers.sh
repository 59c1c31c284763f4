#!/usr/bin/env bash
# benches/peers.sh — phoenix's load generator side by side with oha and wrk, in one run,
# against one target: the bundled demo app run natively and behind a container's published
# port. Prints one Markdown table with the ratio phoenix/oha of each figure. Not part of the
# test suite (it measures, it does not judge; the README's Performance section holds a run).
#
#   bash benches/peers.sh            # about 6 minutes with 10 s rows
#   PEERS_SECS=5 PEERS_TARGETS=native bash benches/peers.sh
#
# Needs cargo, Docker (for the container target), wrk (Debian's, `.ci/setup` installs it),
# jq; installs oha with `cargo install oha` when it is missing (slow: it compiles).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${PEERS_SECS:-10}
conns=${PEERS_CONNECTIONS:-64}      # closed loop: every tool gets the same connections
oha_conns=${PEERS_OHA_CONNECTIONS:-500}  # open loop: oha needs enough to keep its schedule
rates=${PEERS_RATES:-"5000 10000 20000"}
targets=${PEERS_TARGETS:-"native container"}

for tool in wrk jq; do
  command -v "$tool" >/dev/null || { echo "peers.sh: $tool is missing: bash .ci/setup (as root)" >&2; exit 1; }
done
if ! command -v oha >/dev/null; then
  echo "peers.sh: installing oha (cargo install oha --locked)" >&2
  cargo install oha --locked >&2
fi
echo "peers.sh: building phoenix and the demo (release)" >&2
cargo build --release --locked --quiet -p phoenix-bench -p phoenix-demo
phoenix=target/release/phoenix

free_port() { # a port nothing listens on (the demo binds it right after)
  local p
  while :; do
    p=$(( (RANDOM % 20000) + 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
pids=(); containers=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

wait_up() { # url
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "peers.sh: $1 did not answer" >&2; exit 1
}

declare -A url
if [[ " $targets " == *" native "* ]]; then
  p=$(free_port)
  LISTEN=127.0.0.1:$p STARTUP_DELAY_MS=0 target/release/phoenix-demo >/dev/null 2>&1 &
  pids+=($!)
  url[native]=http://127.0.0.1:$p/
  wait_up "${url[native]}"
fi
if [[ " $targets " == *" container "* ]]; then
  if ! docker image inspect phoenix-demo:latest >/dev/null 2>&1; then
    "$phoenix" doctor --build scenarios/kill-restart.toml >&2
  fi
  c=$(docker run -d --label phoenix-bench.peers=1 -e STARTUP_DELAY_MS=0 -p 127.0.0.1::8080 phoenix-demo:latest)
  containers+=("$c")
  url[container]=http://$(docker port "$c" 8080/tcp | head -n1)/
  wait_up "${url[container]}"
fi

# Each tool's figures as "ok sent p50_ms p99_ms slip_p99_ms" (slip "-" where not reported).
phoenix_row() { # url rate keepalive(0/1) connections
  local ka=(); [[ $3 == 1 ]] && ka=(--keep-alive)
  "$phoenix" load "$1" --rate "$2" --duration "${secs}s" --connections "$4" "${ka[@]}" --json |
    jq -r '"\(.ok) \(.sent) \(.latency_ms.p50) \(.latency_ms.p99) \(.slip_ms.p99)"'
}
oha_row() { # url rate keepalive connections
  local args=(-z "${secs}s" -c "$4" --no-tui --output-format json)
  [[ $2 != max ]] && args+=(-q "$2" --latency-correction)
  [[ $3 == 0 ]] && args+=(--disable-keepalive)
  oha "${args[@]}" "$1" 2>/dev/null | jq -r '
    ([.statusCodeDistribution[]] | add // 0) as $ok
    | ([.errorDistribution[]] | add // 0) as $err
    | "\($ok) \($ok + $err) \(.latencyPercentiles.p50 * 1000) \(.latencyPercentiles.p99 * 1000) -"'
}
wrk_row() { # url connections (closed loop, keep-alive: wrk has no open loop)
  wrk -t2 -c "$2" -d "${secs}s" --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    / requests in / { n = $1 } /Non-2xx/ { bad += $NF }
    /Socket errors/ { gsub(/,/, ""); bad += $4 + $6 + $8 + $10 }
    END { printf "%d %d %.3f %.3f -\n", n - bad, n, p50, p99 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "—"; else printf "%.2f", a / b }'; }
fmt() { # ok sent p50 p99 slip
  printf '%s of %s, %.2f / %.2f ms' "$1" "$2" "$3" "$4"
  [[ $5 != - ]] && printf ', slip p99 %.2f ms' "$5"
  true
}

echo
echo "| target | load | phoenix: ok of sent, p50 / p99 | oha | wrk | phoenix/oha ok | phoenix − oha p50 ms |"
echo "|---|---|---|---|---|---|---|"
for t in $targets; do
  u=${url[$t]}
  read -r -a P <<<"$(phoenix_row "$u" max 1 "$conns")"
  read -r -a O <<<"$(oha_row "$u" max 1 "$conns")"
  read -r -a W <<<"$(wrk_row "$u" "$conns")"
  echo "| $t | closed loop, $conns keep-alive connections, ${secs} s | $(fmt "${P[@]}") | $(fmt "${O[@]}") | $(fmt "${W[@]}") | $(ratio "${P[0]}" "${O[0]}") | $(awk -v a="${P[2]}" -v b="${O[2]}" 'BEGIN{printf "%+.2f", a-b}') |"
  for r in $rates; do
    for ka in 0 1; do
      mode=$([[ $ka == 1 ]] && echo keep-alive || echo "fresh connections")
      read -r -a P <<<"$(phoenix_row "$u" "$r" "$ka" "$oha_conns")"
      read -r -a O <<<"$(oha_row "$u" "$r" "$ka" "$oha_conns")"
      echo "| $t | open loop $r/s, $mode, ${secs} s | $(fmt "${P[@]}") | $(fmt "${O[@]}") | n/a (no open loop) | $(ratio "${P[0]}" "${O[0]}") | $(awk -v a="${P[2]}" -v b="${O[2]}" 'BEGIN{printf "%+.2f", a-b}') |"
    done
  done
done
echo
echo "machine: $(nproc) cores, $(uname -sr); oha $(oha --version | awk '{print $2}'), $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}'); rows of ${secs} s"
