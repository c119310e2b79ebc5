"""MinHash-LSH candidates with datasketch over the shingles spinscope wrote (examples/lsh.rs).

    python datasketch_lsh.py SHINGLES.txt

Same sets, same 64 permutations in 16 bands of 4 rows; prints {"documents", "seconds",
"pairs", "recall", "datasketch"} as JSON. Only MinHash building, insertion and querying are
timed, not reading the file.
"""
import json
import sys
import time
from importlib.metadata import version

from datasketch import MinHash, MinHashLSH


def main(path):
    ids, sets = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            doc_id, _, hashes = line.rstrip("\n").partition("\t")
            ids.append(doc_id)
            sets.append([int(h).to_bytes(8, "little") for h in hashes.split()] if hashes else [])

    started = time.perf_counter()
    lsh = MinHashLSH(num_perm=64, params=(16, 4))
    signed = []
    for i, shingles in enumerate(sets):
        if not shingles:
            continue
        m = MinHash(num_perm=64)
        m.update_batch(shingles)
        lsh.insert(i, m)
        signed.append((i, m))
    pairs = set()
    for i, m in signed:
        for j in lsh.query(m):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    seconds = time.perf_counter() - started

    index = {doc_id: i for i, doc_id in enumerate(ids)}
    reprints = [
        (i, index.get("a" + doc_id.split("-of-")[1]))
        for i, doc_id in enumerate(ids)
        if doc_id.startswith("r") and "-of-" in doc_id
    ]
    hit = sum(1 for r, o in reprints if o is not None and (min(r, o), max(r, o)) in pairs)
    print(json.dumps({
        "documents": len(ids),
        "seconds": seconds,
        "pairs": len(pairs),
        "recall": hit / max(1, len(reprints)),
        "datasketch": version("datasketch"),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
