"""Runs another extractor over the pages `spinscope eval extraction` reads and writes what it
extracted as JSON lines for `spinscope eval extraction --predictions`, so that every tool is
scored by the same code; prints the tool's pages per second as JSON.

    python tools.py DATA_DIR trafilatura|rs-trafilatura OUT.jsonl

Reads the same three layouts (Zyte: ground-truth.json + html/<id>.html.gz; trafilatura's:
evaldata*.json + html/<file>.gz; Readability's: pages/<name>/source.html), reads and
decompresses everything first, then times extraction only, on one thread, as spinscope's own
figure is taken.
"""
import gzip
import json
import sys
import time
from pathlib import Path


def pages(root: Path):
    """(layout, id, html bytes) for every page, as `eval extraction` names them."""
    found = {}
    for d in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
        if (d / "ground-truth.json").is_file() and "zyte" not in found:
            truth = json.loads((d / "ground-truth.json").read_text())
            found["zyte"] = [(k, gzip.open(d / "html" / f"{k}.html.gz").read()) for k in sorted(truth)]
        evaldata = sorted(d.glob("evaldata*.json"))
        if evaldata and "snippets" not in found:
            data = json.loads(evaldata[0].read_text())
            found["snippets"] = [(k, gzip.open(d / "html" / f"{v['file']}.gz").read()) for k, v in data.items()]
        if (d / "pages").is_dir() and "readability" not in found:
            found["readability"] = [
                (p.name, (p / "source.html").read_bytes())
                for p in sorted((d / "pages").iterdir())
                if (p / "source.html").is_file()
            ]
    return found


def trafilatura_tool():
    import trafilatura

    def run(html):
        d = trafilatura.bare_extraction(html, with_metadata=True)
        if d is None:
            return {}
        return {"text": d.text or "", "title": d.title, "author": d.author, "published": d.date}

    return trafilatura.__version__, run


def rs_trafilatura_tool():
    from importlib.metadata import version

    import rs_trafilatura

    def run(html):
        r = rs_trafilatura.extract_bytes(html)
        date = r.date if isinstance(r.date, str) or r.date is None else str(r.date)
        return {"text": r.main_content or "", "title": r.title, "author": r.author, "published": date}

    return version("rs-trafilatura"), run


def main():
    root, tool, out_path = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    version, run = {"trafilatura": trafilatura_tool, "rs-trafilatura": rs_trafilatura_tool}[tool]()
    summary = {"tool": tool, "version": version}
    with open(out_path, "w", encoding="utf-8") as out:
        for layout, items in pages(root).items():
            results = []
            start = time.perf_counter()
            for _, html in items:
                try:
                    results.append(run(html))
                except Exception as e:  # a tool that fails on a page extracted nothing from it
                    print(f"{tool}: {layout} page failed: {e}", file=sys.stderr)
                    results.append({})
            seconds = time.perf_counter() - start
            summary[layout] = {"pages": len(items), "pages_per_second": len(items) / seconds}
            for (ident, _), r in zip(items, results):
                out.write(json.dumps({"layout": layout, "id": ident, **r}, ensure_ascii=False) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
