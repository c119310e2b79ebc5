#!/usr/bin/env bash
# Linearity on hostile text: each shape at n and 2n; the time ratio should stay near 2.
#   benches/pathological/run.sh          (release build; inputs under /var/tmp)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_WORK:-/var/tmp/spinscope-patho-bench}
mkdir -p "$work"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p spinscope-cli
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
shapes = {
    "no-space": lambda n: "a" * (1_000_000 * n),
    "nested-quotes": lambda n: "\u201c" * (50_000 * n) + "x" + "\u201d" * (50_000 * n),
    "straight-quotes": lambda n: '"' * (100_000 * n),
    "tiny-sentences": lambda n: "A. " * (500_000 * n),
    "rtl-zero-width": lambda n: "مرحبا بالعالم \u200b\u200f\u202e שלום עולם \u200d" * (20_000 * n),
    "zh-scare-quotes": lambda n: "所谓的\u201c人权\u201d" * (50_000 * n),
}
for name, make in shapes.items():
    for n in (1, 2):
        open(f"{work}/{name}-{n}.txt", "w", encoding="utf-8").write(make(n))
PY
printf "%-16s %10s %10s %6s %10s\n" shape "n (s)" "2n (s)" ratio "peak MB"
for shape in no-space nested-quotes straight-quotes tiny-sentences rtl-zero-width zh-scare-quotes; do
  line=""
  for n in 1 2; do
    /usr/bin/time -f "%e %M" -o "$work/time" "${CARGO_TARGET_DIR:-$root/target}/release/spinscope" analyze --tier fast --format json "$work/$shape-$n.txt" > /dev/null
    read -r s kb < "$work/time"
    line="$line $s $kb"
  done
  set -- $line
  awk -v name="$shape" -v a="$1" -v b="$3" -v kb="$4" 'BEGIN { printf "%-16s %10.2f %10.2f %6.2f %10.0f\n", name, a, b, (a > 0 ? b / a : 0), kb / 1024 }'
done
