#!/usr/bin/env bash
# Extraction accuracy and speed: spinscope against Python trafilatura and rs-trafilatura, the
# same pages, scored by the same code (`spinscope eval extraction --predictions`), in one run.
#   benches/extraction/run.sh ../shared/data/extraction [sealed|fit|all]
# Installs both tools into a venv under ${BENCH_VENV:-/var/tmp/spinscope-bench-venv} (pip).
set -euo pipefail
data=${1:?usage: benches/extraction/run.sh DATA_DIR [SPLIT]}
split=${2:-sealed}
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${BENCH_VENV:-/var/tmp/spinscope-bench-venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import trafilatura, rs_trafilatura' 2>/dev/null; then
  python3 -m venv "$venv"
  # lxml_html_clean: trafilatura's justext fallback needs it with lxml >= 5.2.
  "$venv/bin/pip" install --quiet trafilatura lxml_html_clean rs-trafilatura
fi
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p spinscope-cli
bin="${CARGO_TARGET_DIR:-$root/target}/release/spinscope"

"$bin" eval extraction --data "$data" --split "$split" --format json > "$work/spinscope.json"
for tool in trafilatura rs-trafilatura; do
  "$venv/bin/python" "$root/benches/extraction/tools.py" "$data" "$tool" "$work/$tool.jsonl" > "$work/$tool-speed.json"
  "$bin" eval extraction --data "$data" --split "$split" --format json --predictions "$work/$tool.jsonl" > "$work/$tool.json"
done

python3 - "$work" "$split" <<'PY'
import json, sys
work, split = sys.argv[1], sys.argv[2]
tools = ["spinscope", "trafilatura", "rs-trafilatura"]
score = {t: json.load(open(f"{work}/{t}.json")) for t in tools}
speed = {t: json.load(open(f"{work}/{t}-speed.json")) for t in tools[1:]}
print(f"{split} split; trafilatura {speed['trafilatura']['version']}, rs-trafilatura {speed['rs-trafilatura']['version']}")
print(f"| {'measure':<58} | " + " | ".join(f"{t:>14}" for t in tools) + " |")
print("|" + "-" * 60 + "|" + "|".join("-" * 16 for _ in tools) + "|")
def row(name, get):
    cells = []
    for t in tools:
        try:
            cells.append(get(score[t]))
        except KeyError:
            cells.append("-")
    print(f"| {name:<58} | " + " | ".join(f"{c:>14}" for c in cells) + " |")
pr = lambda s: f"{s['f1']:.3f} ({s['precision']:.3f}/{s['recall']:.3f})"
frac = lambda p: f"{p[0]}/{p[1]}"
if "zyte" in score["spinscope"]:
    n = score["spinscope"]["zyte"]["scored"]["items"]
    row(f"Zyte, {n} pages: 4-token F1 (P/R)", lambda s: pr(s["zyte"]["score"]))
if "snippets" in score["spinscope"]:
    n = score["spinscope"]["snippets"]["scored"]["items"]
    row(f"trafilatura en+zh, {n} pages: snippet F1 (P/R)", lambda s: pr(s["snippets"]))
    for k in ("title", "author", "date"):
        row(f"  {k} right (share of pages that have one)", lambda s: f"{s['snippets'][k + '_right']:.3f}")
if "readability" in score["spinscope"]:
    n = score["spinscope"]["readability"]["scored"]["items"]
    row(f"Readability pages, {n}: body F1 (P/R) against Readability.js", lambda s: pr(s["readability"]["body"]))
    m = lambda s: s["readability"]["metadata"]
    row("  title right", lambda s: frac(m(s)["title"]))
    row("  byline found", lambda s: frac(m(s)["byline"]))
    row("  date right", lambda s: frac(m(s)["date"]))
    row("  date given where Readability has none", lambda s: frac(m(s)["date_without"]))
print()
print("pages/s on one thread (spinscope: the split's pages; the others: every page of the layout), and spinscope's ratio:")
for layout in ("zyte", "snippets", "readability"):
    if layout not in score["spinscope"]:
        continue
    ours = score["spinscope"][layout]["pages_per_second"]
    cells = [f"spinscope {ours:7.1f}"]
    for t in tools[1:]:
        r = speed[t][layout]["pages_per_second"]
        cells.append(f"{t} {r:7.1f} ({ours / r:4.1f}x)")
    print(f"  {layout:<12} " + "   ".join(cells))
PY
