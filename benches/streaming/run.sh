#!/usr/bin/env bash
# Streaming memory: `analyze` over a 300 MB JSONL file and `ingest` of a 1 GB WARC, each beside
# the same command on a 1/100 slice as the reference measured in the same run. Peak memory
# (GNU time -v) must stay under 512 MB and should not grow with the input.
#   benches/streaming/run.sh [JSONL_MB] [WARC_MB]      (default 300 and 1000)
# Work files (about 2.5 GB with the corpus) go to ${BENCH_WORK:-/var/tmp/spinscope-stream-bench}.
set -euo pipefail
jsonl_mb=${1:-300}
warc_mb=${2:-1000}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_WORK:-/var/tmp/spinscope-stream-bench}
mkdir -p "$work"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p spinscope-cli -p spinscope-corpus --examples --bins
bin=${CARGO_TARGET_DIR:-$root/target}/release

# Synthetic articles average ~2.5 KB as JSONL: a few more than the size wanted needs.
n=$(( jsonl_mb * 1024 * 1024 / 2400 ))
big=$work/articles-$jsonl_mb-mb.jsonl
[ -s "$big" ] || "$bin/examples/synth" "$n" 11 > "$big"
small=$work/articles-slice.jsonl
head -n $(( $(wc -l < "$big") / 100 )) "$big" > "$small"
warc=$work/crawl-$warc_mb-mb.warc
[ -s "$warc" ] || python3 "$root/benches/streaming/make_warc.py" "$big" "$warc" $(( warc_mb * 1024 * 1024 )) > /dev/null
warc_small=$work/crawl-slice.warc
[ -s "$warc_small" ] || python3 "$root/benches/streaming/make_warc.py" "$big" "$warc_small" $(( warc_mb * 1024 * 1024 / 100 )) > /dev/null

# timed NAME CMD...: "NAME seconds peak_mb", output discarded.
timed() {
  local name=$1; shift
  /usr/bin/time -v "$@" > /dev/null 2> "$work/time.txt" || { tail -5 "$work/time.txt"; exit 1; }
  awk -v name="$name" -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
       /Maximum resident/ { rss = $2 / 1024 } END { printf "%s %.1f %.0f\n", name, s, rss }' "$work/time.txt"
}

{
  timed analyze-slice "$bin/spinscope" analyze --tier fast --format jsonl "$small"
  timed analyze "$bin/spinscope" analyze --tier fast --format jsonl "$big"
  rm -rf "$work/db-slice" "$work/db"
  timed ingest-slice "$bin/spinscope" ingest "$warc_small" --db "$work/db-slice"
  timed ingest "$bin/spinscope" ingest "$warc" --db "$work/db"
} > "$work/results.txt"

python3 - "$work/results.txt" "$big" "$small" "$warc" "$warc_small" "$work/db" <<'PY'
import os, sys
rows = {name: (float(s), float(mb)) for name, s, mb in (l.split() for l in open(sys.argv[1]))}
size = lambda p: os.path.getsize(p) / 2**20
big, small, warc, warc_small, db = sys.argv[2:7]
db_mb = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(db) for f in fs) / 2**20
for name, path, ref, ref_path in (("analyze", big, "analyze-slice", small), ("ingest", warc, "ingest-slice", warc_small)):
    s, mb = rows[name]
    rs, rmb = rows[ref]
    print(f"{name:8} {size(path):7.0f} MB input  {s:7.1f} s  peak {mb:5.0f} MB  "
          f"(1/100 slice: {size(ref_path):5.1f} MB, {rs:5.1f} s, peak {rmb:4.0f} MB; "
          f"peak ratio {mb / rmb:.2f}, {'under' if mb < 512 else 'OVER'} 512 MB)")
print(f"corpus from the WARC: {db_mb:.0f} MB on disk")
PY
