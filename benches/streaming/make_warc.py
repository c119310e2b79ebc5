"""A crawl-shaped WARC from synthetic articles, for the streaming memory benchmark.

    python3 make_warc.py ARTICLES.jsonl OUT.warc BYTES

Each article becomes a request record and a response record whose HTML carries what real pages
carry around an article (inline CSS and script, navigation, footer: ~40 KB); every tenth
response is a JPEG instead, and a metadata record follows every fiftieth. Deterministic (seeded).
Stops after BYTES bytes; articles are reused with a new URL when the file runs out of them, and a
reused article gets a varied sentence so its content hash differs.
"""
import html
import json
import random
import sys
import uuid


def record(kind, uri, payload, content_type, rng):
    rid = uuid.UUID(int=rng.getrandbits(128))
    head = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\n"
        f"WARC-Date: 2024-03-05T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:{rid}>\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload + b"\r\n\r\n"


def chrome(rng):
    """Sixteen page templates' inline CSS and script (made once: the generator stays fast)."""
    return [
        (
            "".join(f".c{i}{{margin:{i}px;color:#{i:06x}}}" for i in range(rng.randint(300, 500))),
            "".join(f"var v{i}={rng.random()};" for i in range(rng.randint(700, 1000))),
        )
        for _ in range(16)
    ]


NAV = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(120))


def page(article, rng, round_, templates):
    style, script = rng.choice(templates)
    nav = NAV
    text = article["text"] + (f" Update {round_}: readers wrote in." if round_ else "")
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.replace(". ", ".\n").split("\n"))
    body = (
        f"<!doctype html><html><head><title>{html.escape(article.get('title') or '')}</title>"
        f"<style>{style}</style><script>{script}</script></head><body><nav><ul>{nav}</ul></nav>"
        f"<article><h1>{html.escape(article.get('title') or '')}</h1>{paragraphs}</article>"
        f"<footer>{'<p>Copyright, all rights reserved. Terms. Privacy.</p>' * 40}</footer></body></html>"
    ).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body


def main():
    articles_path, out_path, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    articles = [json.loads(line) for line in open(articles_path, encoding="utf-8")]
    rng = random.Random(7)
    templates = chrome(rng)
    written = 0
    with open(out_path, "wb") as out:
        out.write(record("warcinfo", "", b"software: spinscope benches\r\n", "application/warc-fields", rng))
        n = 0
        while written < limit:
            article = articles[n % len(articles)]
            round_ = n // len(articles)
            uri = f"https://news.example/{round_}/{article['id']}"
            chunks = [record("request", uri, f"GET /{article['id']} HTTP/1.1\r\n\r\n".encode(),
                             "application/http; msgtype=request", rng)]
            if n % 10 == 9:
                jpeg = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff" + rng.randbytes(30_000)
                chunks.append(record("response", uri + ".jpg", jpeg, "application/http; msgtype=response", rng))
            else:
                chunks.append(record("response", uri, page(article, rng, round_, templates),
                                     "application/http; msgtype=response", rng))
            if n % 50 == 49:
                chunks.append(record("metadata", uri, b"outlinks: 120\r\n", "application/warc-fields", rng))
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
            n += 1
    print(n)


if __name__ == "__main__":
    main()
