"""Times Python trafilatura on the pages `spinscope eval extraction` reads; prints JSON.

Reads the same two layouts (Zyte: ground-truth.json + html/<id>.html.gz; trafilatura's:
evaldata*.json + html/<file>.gz), decompresses everything first, then times extraction only,
on one thread, as spinscope's own figure is taken.
"""
import gzip
import json
import sys
import time
from pathlib import Path

import trafilatura


def pages(root: Path):
    zyte, snippets = [], []
    for d in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
        if (d / "ground-truth.json").is_file() and not zyte:
            truth = json.loads((d / "ground-truth.json").read_text())
            zyte = [gzip.open(d / "html" / f"{k}.html.gz").read() for k in sorted(truth)]
        evaldata = sorted(d.glob("evaldata*.json"))
        if evaldata and not snippets:
            data = json.loads(evaldata[0].read_text())
            snippets = [gzip.open(d / "html" / f"{v['file']}.gz").read() for v in data.values()]
    return {"zyte": zyte, "snippets": snippets}


def main():
    out = {"trafilatura": trafilatura.__version__}
    for name, htmls in pages(Path(sys.argv[1])).items():
        if not htmls:
            continue
        start = time.perf_counter()
        for html in htmls:
            trafilatura.extract(html)
        out[name] = {"pages": len(htmls), "pages_per_second": len(htmls) / (time.perf_counter() - start)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
