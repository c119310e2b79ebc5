#!/usr/bin/env bash
# Extraction throughput: spinscope against Python trafilatura, same pages, same machine, same run.
#   benches/extraction/run.sh ../shared/data/extraction
# Installs trafilatura into a venv under ${BENCH_VENV:-/var/tmp/spinscope-bench-venv} (pip).
set -euo pipefail
data=${1:?usage: benches/extraction/run.sh DATA_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${BENCH_VENV:-/var/tmp/spinscope-bench-venv}

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  # lxml_html_clean: trafilatura's justext fallback needs it with lxml >= 5.2.
  "$venv/bin/pip" install --quiet trafilatura lxml_html_clean
fi
cargo build --release --quiet --manifest-path "$root/Cargo.toml"

python_json=$("$venv/bin/python" "$root/benches/extraction/trafilatura_pages.py" "$data")
ours_json=$("${CARGO_TARGET_DIR:-$root/target}/release/spinscope" eval extraction --data "$data" --format json)

python3 - "$python_json" "$ours_json" <<'PY'
import json, sys
py, ours = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"Python trafilatura {py['trafilatura']} vs spinscope, pages/s on one thread")
for name in ("zyte", "snippets"):
    if name in py and name in ours:
        a, b = py[name]["pages_per_second"], ours[name]["pages_per_second"]
        print(f"  {name:<9} {py[name]['pages']:>4} pages   trafilatura {a:7.1f}   spinscope {b:7.1f}   ratio {b / a:5.1f}x")
PY
