#!/usr/bin/env bash
# What the statelessness audit adds to a run's wall time: `phoenix init IMAGE …` writes the
# zero-config scenario (audit on, read-only trial on); a copy turns both off. The two run
# alternately, PAIRS times each (default 2), and the script prints each run's wall time,
# the medians and their ratio (the issue's bound: at most 1.10). Needs Docker and the image.
#
#   benches/audit-cost.sh                                   # the demo: certify's defaults
#   benches/audit-cost.sh tryout/dokuwiki:bookworm --port 8080 --health /doku.php --duration 18s
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- phoenix-demo:latest --port 8080 --health /health
# PHOENIX=path/to/phoenix skips the release build (both sides use the same binary either way)
phoenix="${PHOENIX:-}"
if [ -z "$phoenix" ]; then
  cargo build --release --locked --quiet
  phoenix="$PWD/target/release/phoenix"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$phoenix" init "$@" >/dev/null)
on="$work/phoenix.toml" off="$work/off.toml"
sed -E 's/^enabled = true /enabled = false/; s/^read_only_trial = true /read_only_trial = false/' "$on" >"$off"
grep -q '^enabled = false' "$off" && grep -q '^read_only_trial = false' "$off" ||
  { echo "error: init's [audit] lines changed; update this script" >&2; exit 1; }

declare -A walls=([on]="" [off]="")
for i in $(seq "${PAIRS:-2}"); do
  for v in on off; do
    file=$on; [ "$v" = off ] && file=$off
    start=$(date +%s%N); code=0
    "$phoenix" run "$file" --out "$work/$v-$i" >/dev/null 2>"$work/$v-$i.err" || code=$?
    wall=$(( ($(date +%s%N) - start) / 1000000 ))
    # 5: inconclusive on a contended host, a complete run all the same
    [ "$code" = 0 ] || [ "$code" = 3 ] || [ "$code" = 5 ] || { cat "$work/$v-$i.err" >&2; exit 1; }
    level=$(sed -n 's/.*"level": *"\([a-z-]*\)".*/\1/p' "$work/$v-$i/result.json" | head -1)
    echo "audit $v, run $i: $wall ms, $level, load average $(cut -d' ' -f1 /proc/loadavg)"
    walls[$v]+="$wall "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m_on=$(echo "${walls[on]}" | median) m_off=$(echo "${walls[off]}" | median)
echo "median wall: audit on $m_on ms, off $m_off ms, ratio $(awk -v a="$m_on" -v b="$m_off" 'BEGIN {printf "%.3f", a / b}')"
