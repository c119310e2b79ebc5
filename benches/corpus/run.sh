#!/usr/bin/env bash
# Corpus scale: ingest and reuse over N seeded synthetic articles, and MinHash-LSH candidate
# generation against Python datasketch on the same shingles, same run.
#   benches/corpus/run.sh [N]          (default 20000; the issue's scale is 1000000)
# Work files go to ${BENCH_WORK:-/var/tmp/spinscope-corpus-bench}; datasketch is installed with
# pip into ${BENCH_VENV:-/var/tmp/spinscope-bench-venv}. Needs /usr/bin/time (GNU time).
set -euo pipefail
n=${1:-20000}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_WORK:-/var/tmp/spinscope-corpus-bench}
venv=${BENCH_VENV:-/var/tmp/spinscope-bench-venv}
mkdir -p "$work"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import datasketch' 2>/dev/null || "$venv/bin/pip" install --quiet datasketch

cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p spinscope-cli -p spinscope-corpus --examples --bins
# The binaries cargo just built, wherever CARGO_TARGET_DIR puts them.
bin=${CARGO_TARGET_DIR:-$root/target}/release

articles=$work/articles-$n.jsonl
[ -s "$articles" ] || "$bin/examples/synth" "$n" 7 > "$articles"
echo "$n synthetic articles, $(du -h "$articles" | cut -f1)"

# timed CMD...: prints "seconds max_rss_mb" for the command (GNU time -v), output discarded.
timed() {
  /usr/bin/time -v "$@" > "$work/out.json" 2> "$work/time.txt" || { cat "$work/time.txt"; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
              /Maximum resident/ { rss = $2 / 1024 } END { printf "%.2f %.0f\n", s, rss }' "$work/time.txt"
}

read -r analyze_s analyze_mb < <(timed "$bin/spinscope" analyze --tier fast --format jsonl "$articles")
rm -rf "$work/db"
read -r ingest_s ingest_mb < <(timed "$bin/spinscope" ingest "$articles" --db "$work/db")
read -r reuse_s reuse_mb < <(timed "$bin/spinscope" reuse --db "$work/db" --format json)
cp "$work/out.json" "$work/clusters.json"

ours=$("$bin/examples/lsh" "$articles" "$work/shingles.txt")
theirs=$("$venv/bin/python" "$root/benches/corpus/datasketch_lsh.py" "$work/shingles.txt")

python3 - "$n" "$analyze_s" "$analyze_mb" "$ingest_s" "$ingest_mb" "$reuse_s" "$reuse_mb" "$ours" "$theirs" "$work/clusters.json" <<'PY'
import json, sys
n = int(sys.argv[1])
analyze_s, analyze_mb, ingest_s, ingest_mb, reuse_s, reuse_mb = map(float, sys.argv[2:8])
ours, theirs = json.loads(sys.argv[8]), json.loads(sys.argv[9])
clusters = json.load(open(sys.argv[10]))
# Reprint recall of the finished clusters: a reprint r<i>-of-<j> shares a cluster with a<j>.
def story(doc_id):
    return doc_id.split("-of-")[1] if "-of-" in doc_id else doc_id[1:]
where = {m["document"]: c["id"] for c in clusters["clusters"] for m in c["members"]}
total = sum(1 for i in range(n) if i % 10 == 9)
found = sum(1 for d, c in where.items() if "-of-" in d and where.get("a" + story(d)) == c)
mixed = sum(1 for c in clusters["clusters"] if len({story(m["document"]) for m in c["members"]}) > 1)
print(f"analyze (reference)   {n / analyze_s:8.0f} articles/s   peak {analyze_mb:6.0f} MB")
print(f"ingest                {n / ingest_s:8.0f} articles/s   peak {ingest_mb:6.0f} MB   ({ingest_s / analyze_s:.2f}x analyze time)")
print(f"reuse                 {reuse_s:8.1f} s            peak {reuse_mb:6.0f} MB   "
      f"{len(clusters['clusters'])} clusters, reprints found {found}/{total}, clusters mixing stories {mixed}")
print(f"LSH candidates        spinscope {ours['seconds']:.2f} s ({ours['pairs']} pairs, recall {ours['recall']:.3f})   "
      f"datasketch {theirs['datasketch']} {theirs['seconds']:.2f} s ({theirs['pairs']} pairs, recall {theirs['recall']:.3f})   "
      f"ratio {theirs['seconds'] / ours['seconds']:.1f}x")
PY
