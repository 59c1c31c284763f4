#!/usr/bin/env bash
# benches/peers.sh — phoenix's load generator side by side with oha and wrk, in one run,
# against one target: the bundled demo app run natively and behind a container's published
# port. Prints one Markdown table with the ratio phoenix/oha of each figure. Not part of the
# test suite (it measures, it does not judge; docs/load-generator.md's Performance section holds a run).
#
#   bash benches/peers.sh            # about 12 minutes: 5 s rows, 3 reps
#   PEERS_SECS=10 PEERS_REPS=1 PEERS_TARGETS=native bash benches/peers.sh
#
# The tools run in turn within a row (phoenix, oha, wrk, phoenix, ...) so that a busy
# moment of the machine hits each of them alike; each figure is that of the tool's median
# rep by ok count.
#
# Needs cargo, Docker (for the container target), wrk (Debian's, `.ci/setup` installs it),
# jq; installs oha with `cargo install oha` when it is missing (slow: it compiles).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${PEERS_SECS:-5}
reps=${PEERS_REPS:-3}               # each row runs the tools in turn this many times; the median rep (by ok) is shown
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
scratch=$(mktemp -d)   # the native demo's files (uploads, sessions), not the host's /var/lib
cleanup() {
  rm -rf "$scratch"
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
  LISTEN=127.0.0.1:$p STARTUP_DELAY_MS=0 UPLOADS=shared SHARED_DIR="$scratch/uploads" \
    SESSION_DIR="$scratch/sessions" target/release/phoenix-demo >/dev/null 2>&1 &
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
  # requests oha cut at its own deadline were neither sent in the load nor failed by the app
  oha "${args[@]}" "$1" 2>/dev/null | jq -r '
    ([.statusCodeDistribution[]] | add // 0) as $ok
    | ([.errorDistribution | to_entries[] | select(.key != "aborted due to deadline") | .value] | add // 0) as $err
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

median() { # reads "ok sent p50 p99 slip" lines, prints the median one by ok
  sort -n -k1,1 | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "—"; else printf "%.2f", a / b }'; }
fmt() { # ok sent p50 p99 slip
  printf '%s of %s, %.2f / %.2f ms' "$1" "$2" "$3" "$4"
  [[ $5 != - ]] && printf ', slip p99 %.2f ms' "$5"
  true
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "| target | load | phoenix: ok of sent, p50 / p99 | oha | wrk | phoenix/oha ok | phoenix − oha p50 ms |"
echo "|---|---|---|---|---|---|---|"
for t in $targets; do
  u=${url[$t]}
  p=""; o=""; w=""
  for _ in $(seq 1 "$reps"); do
    p+="$(phoenix_row "$u" max 1 "$conns")"$'\n'
    o+="$(oha_row "$u" max 1 "$conns")"$'\n'
    w+="$(wrk_row "$u" "$conns")"$'\n'
  done
  read -r -a P <<<"$(printf '%s' "$p" | median)"
  read -r -a O <<<"$(printf '%s' "$o" | median)"
  read -r -a W <<<"$(printf '%s' "$w" | median)"
  echo "| $t | closed loop, $conns keep-alive connections, ${secs} s | $(fmt "${P[@]}") | $(fmt "${O[@]}") | $(fmt "${W[@]}") | $(ratio "${P[0]}" "${O[0]}") | $(awk -v a="${P[2]}" -v b="${O[2]}" 'BEGIN{printf "%+.2f", a-b}') |"
  for r in $rates; do
    for ka in 0 1; do
      mode=$([[ $ka == 1 ]] && echo keep-alive || echo "fresh connections")
      p=""; o=""
      for _ in $(seq 1 "$reps"); do
        p+="$(phoenix_row "$u" "$r" "$ka" "$oha_conns")"$'\n'
        o+="$(oha_row "$u" "$r" "$ka" "$oha_conns")"$'\n'
      done
      read -r -a P <<<"$(printf '%s' "$p" | median)"
      read -r -a O <<<"$(printf '%s' "$o" | median)"
      echo "| $t | open loop $r/s, $mode, ${secs} s | $(fmt "${P[@]}") | $(fmt "${O[@]}") | n/a (no open loop) | $(ratio "${P[0]}" "${O[0]}") | $(awk -v a="${P[2]}" -v b="${O[2]}" 'BEGIN{printf "%+.2f", a-b}') |"
    done
  done
done
echo
echo "machine: $(nproc) cores, $(uname -sr); oha $(oha --version | awk '{print $2}'), $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}'); rows of ${secs} s, median of $reps reps; load average before: $load0"
