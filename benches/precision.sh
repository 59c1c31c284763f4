#!/usr/bin/env bash
# Time-to-healthy precision over 24 restarts: the demo app is SIGKILLed and restarted in
# place 24 times, every 3.5 s, under light load, and each fault's time to healthy is
# compared with the app's own `ready <epoch ms>` line. Prints every (TTH − ready, resolution)
# pair and the p99s of |TTH − ready| and of the resolution; fails when either exceeds 5 ms or
# a TTH lies outside its own error bar. Needs Docker (images are built when missing). About
# 90 s.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --locked --test precision -- --ignored --nocapture \
  time_to_healthy_matches_the_apps_ready_line_within_5_ms_over_24_restarts 2>&1 |
  grep -E '^\|TTH|^\(TTH|test result|panicked|exceeds|outside'
