#!/usr/bin/env bash
# The reliability campaign: each target for 10 million executions or 30 minutes, whichever comes
# first, one core per target. Prints one line per target (runs, seconds, result) for
# docs/RELIABILITY.md; full logs go to $FUZZ_LOGS (default /var/tmp/spinscope-fuzz-logs).
#   fuzz/campaign.sh                # every target, one after another
#   fuzz/campaign.sh text input     # chosen targets
set -uo pipefail
cd "$(dirname "$0")"
runs=${FUZZ_RUNS:-10000000}
seconds=${FUZZ_SECONDS:-1800}
logs=${FUZZ_LOGS:-/var/tmp/spinscope-fuzz-logs}
mkdir -p "$logs"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(text input jsonl html warc eval_readers)

# Seeds: the project's own examples and fixtures, so the fuzzer starts from real shapes.
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  case $target in
    text | input) cp ../examples/*.txt "corpus/$target/" 2>/dev/null ;;
    jsonl) cp ../examples/*.jsonl "corpus/$target/" 2>/dev/null ;;
  esac
done

cargo +nightly fuzz build -O > "$logs/build.log" 2>&1 || { tail -20 "$logs/build.log"; exit 1; }
status=0
for target in "${targets[@]}"; do
  log="$logs/$target.log"
  start=$(date +%s)
  cargo +nightly fuzz run -O "$target" -- -runs="$runs" -max_total_time="$seconds" \
    -rss_limit_mb=4096 -timeout=60 -print_final_stats=1 > "$log" 2>&1
  rc=$?
  done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -1)
  result=$([ $rc = 0 ] && echo "no crash" || echo "FAILED (rc $rc; see $log and fuzz/artifacts/$target)")
  echo "$target: ${done_line:-no final line} (wall $(( $(date +%s) - start )) s) — $result"
  [ $rc = 0 ] || status=1
done
exit $status
