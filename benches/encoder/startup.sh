#!/usr/bin/env bash
# Start-up of `analyze`: the full tier against the fast tier on the same files, in the same run,
# on a one-sentence file (loading only) and on a 250-word article (loading + encoding), and the
# full tier's load with and without the remembered checksum (`<base>.verified`).
#   benches/encoder/startup.sh [RUNS]   (default 10; reports the median of each)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-10}
model_dir=${SPINSCOPE_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/spinscope}
scripts/fetch-model >/dev/null
cargo build --release --quiet -p spinscope-cli
bin=${CARGO_TARGET_DIR:-target}/release/spinscope
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "The minister said the plan would work." > "$dir/short.txt"
cp examples/en-state-media.txt "$dir/article.txt"   # 249 words

# median wall seconds of RUNS runs of "$@"; FORGET=1 removes the stamp before each run
median() {
  local times=()
  for _ in $(seq "$runs"); do
    [ "${FORGET:-0}" = 1 ] && rm -f "$model_dir/e5-small-q4.bin.verified"
    local s e
    s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", a[int((NR+1)/2)]/1e6}'
}

"$bin" analyze --tier full "$dir/short.txt" >/dev/null   # warm the page cache and the stamp
for file in short article; do
  fast=$(median "$bin" analyze --tier fast "$dir/$file.txt")
  full=$(median "$bin" analyze --tier full "$dir/$file.txt")
  echo "$file: fast ${fast} s, full ${full} s (full/fast = $(awk "BEGIN {printf \"%.1f\", $full / $fast}"))"
done
stamped=$(median "$bin" analyze --tier full "$dir/short.txt")
hashed=$(FORGET=1 median "$bin" analyze --tier full "$dir/short.txt")
"$bin" analyze --tier full "$dir/short.txt" >/dev/null   # leave a stamp behind
echo "full-tier load: remembered checksum ${stamped} s, hashing ${hashed} s (= $(awk "BEGIN {printf \"%.2f\", $stamped / $hashed}") of hashing)"
