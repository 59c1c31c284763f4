#!/usr/bin/env bash
# The score's run-to-run spread: runs a bundled scenario N times (default
# scenarios/kill-restart.toml, 10 runs) as separate `phoenix run`s and prints each run's
# level, score, TTH p99, lost requests and whether the host was contended (README, Host
# contention; a run that fell short on its figures there exits 5, inconclusive, and is
# listed all the same), then the scores' min, max, spread (max − min) and standard
# deviation. Goal (README, Certification): spread under 5 points.
#   benches/score-spread.sh [scenario.toml] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-scenarios/kill-restart.toml}
runs=${2:-10}
out=$(mktemp -d)
cargo build --release --locked --quiet
for i in $(seq 1 "$runs"); do
  code=0
  ./target/release/phoenix run "$scenario" --out "$out/run-$i" >/dev/null 2>"$out/run-$i.log" || code=$?
  [[ $code == 0 || $code == 3 || $code == 5 ]] || { echo "run $i failed (exit $code): $out/run-$i.log" >&2; exit 1; }
done
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
scores = []
print(f"| run | level | score | TTH p99 (ms) | lost | host |")
print(f"|---|---|---|---|---|---|")
for i in range(1, runs + 1):
    r = json.load(open(f"{out}/run-{i}/result.json"))
    c = r["certification"]
    lost = sum(f.get("lost_requests") or 0 for f in r["faults"])
    scores.append(c["score"])
    host = "contended" if (r.get("host") or {}).get("contended") else "quiet"
    level = c["level"] + (" (inconclusive)" if c.get("inconclusive") else "")
    print(f"| {i} | {level} | {c['score']:.1f} | {r['time_to_healthy_ms']['p99']} | {lost} | {host} |")
print(f"\nscore: min {min(scores):.1f}, max {max(scores):.1f}, spread {max(scores) - min(scores):.1f} points, "
      f"sd {statistics.pstdev(scores):.2f}")
PY
echo "run folders: $out"
