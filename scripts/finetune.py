#!/usr/bin/env python3
"""Fine-tunes multilingual-e5-small for spinscope's `full` tier (step 2 of 3, on a GPU).

Step 1, `spinscope train model --data DATA --export BUNDLE`, wrote the training data as the
encoder's windows (token ids, labels) and the 4-bit base weights those tokens need. This script
trains LoRA adapters on every matrix of the encoder together with four heads, one model for all
tasks:

  span         per token: inside a persuasion technique span (PTC)
  technique    per gold span: [mean of its tokens; mean of its sentences; max of its tokens]
               -> 14 labels (PTC)
               (both read the states after layer --technique-layer, 9 of 12 by default, as
               spinscope's own heads: a middle layer keeps more of each word)
  attribution  per token: BIO of source / cue / content (PolNeAR), on --attribution-layer
               (default the last; on the frozen encoder layer 9 scores 13 points more)
  claim        per sentence: mean of its tokens -> check-worthy (CheckThat! 2024 English)

It runs five folds (PTC article i, PolNeAR article i and CheckThat! row i in fold i mod 5) and the
final model on everything, as parallel processes on one GPU, and saves predictions and adapters
at several epochs. Step 3, `spinscope train model --data DATA --import RESULTS`, scores the
out-of-fold predictions with spinscope's own scorers and picks the epoch and thresholds on held-out
folds only.

Outputs in --out: oof-eN.safetensors (out-of-fold predictions at checkpoint epoch N),
final-eN.safetensors (adapter, heads and check-text outputs after epoch N),
finetune.log.

Runs on CPU too (slowly); deterministic given the seed on CPU; on a GPU up to the
non-deterministic reductions of its kernels.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import load_file, save_file
from torch import nn

HEAD_HIDDEN = 256  # as spinscope's Mlp


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ----------------------------------------------------------------------------- weights


def dequantise_q4(blocks):
    """Q4_0 rows (u8, 18 bytes per 32 weights: f16 scale, 16 bytes of nibbles) -> f32 rows."""
    rows, per_row = blocks.shape
    b = blocks.reshape(rows, per_row // 18, 18)
    scale = b[:, :, :2].copy().view(np.float16).astype(np.float32)
    q = b[:, :, 2:]
    low = (q & 0x0F).astype(np.float32) - 8.0
    high = (q >> 4).astype(np.float32) - 8.0
    return (np.concatenate([low, high], axis=2) * scale).reshape(rows, -1)


def base_tensor(base, name, shape):
    t = base[name]
    values = dequantise_q4(t) if t.dtype == np.uint8 else t.astype(np.float32)
    n = int(np.prod(shape))
    return torch.from_numpy(np.ascontiguousarray(values.reshape(-1)[:n].reshape(shape)))


# ----------------------------------------------------------------------------- model


class LoraLinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update: W x + b + s B A x."""

    def __init__(self, weight, bias, rank, alpha, dropout):
        super().__init__()
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)
        out_dim, in_dim = weight.shape
        self.a = nn.Parameter(torch.empty(rank, in_dim))
        nn.init.kaiming_uniform_(self.a, a=math.sqrt(5))
        self.b = nn.Parameter(torch.zeros(out_dim, rank))
        self.scale = alpha / rank
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) + F.linear(
            F.linear(self.dropout(x), self.a), self.b
        ) * self.scale


class Encoder(nn.Module):
    """multilingual-e5-small as spinscope's candle encoder computes it (post-LN BERT, erf GELU,
    token type 0, positions from 0), with LoRA on q, k, v, attention output, FFN up and down."""

    MATRICES = ["q", "k", "v", "ao", "fi", "fo"]

    def __init__(self, cfg, base, rank, alpha, dropout):
        super().__init__()
        h, f = cfg["hidden"], cfg["intermediate"]
        self.cfg = cfg
        self.register_buffer("word", base_tensor(base, "emb.word", (cfg["vocabulary"], h)))
        self.register_buffer("pos", base_tensor(base, "emb.pos", (cfg["max_positions"], h)))
        self.register_buffer("token_type", base_tensor(base, "emb.type", (h,)))
        self.register_buffer("emb_ln_w", base_tensor(base, "emb.ln.w", (h,)))
        self.register_buffer("emb_ln_b", base_tensor(base, "emb.ln.b", (h,)))
        shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f, h), "fo": (h, f)}
        self.layers = nn.ModuleList()
        for l in range(cfg["layers"]):
            layer = nn.Module()
            for m in self.MATRICES:
                out_dim = shapes[m][0]
                setattr(
                    layer,
                    m,
                    LoraLinear(
                        base_tensor(base, f"l{l}.{m}.w", shapes[m]),
                        base_tensor(base, f"l{l}.{m}.b", (out_dim,)),
                        rank,
                        alpha,
                        dropout,
                    ),
                )
            for n in ["aln", "oln"]:
                layer.register_buffer(f"{n}_w", base_tensor(base, f"l{l}.{n}.w", (h,)))
                layer.register_buffer(f"{n}_b", base_tensor(base, f"l{l}.{n}.b", (h,)))
            self.layers.append(layer)
        self.drop = nn.Dropout(0.1)
        self.attention_dropout = 0.1

    def forward(self, ids, lengths, taps):
        """The states after each of `taps` layers (0 is the embeddings), in that order."""
        b, t = ids.shape
        h, heads = self.cfg["hidden"], self.cfg["heads"]
        eps = self.cfg["layer_norm_eps"]
        mask = torch.arange(t, device=ids.device)[None, :] < lengths[:, None]
        x = self.word[ids] + self.pos[:t] + self.token_type
        x = self.drop(F.layer_norm(x, (h,), self.emb_ln_w, self.emb_ln_b, eps))
        attn_mask = mask[:, None, None, :]
        p = self.attention_dropout if self.training else 0.0
        tapped = {0: x}
        for l, layer in enumerate(self.layers):
            split = lambda y: y.view(b, t, heads, h // heads).transpose(1, 2)
            ctx = F.scaled_dot_product_attention(
                split(layer.q(x)), split(layer.k(x)), split(layer.v(x)), attn_mask=attn_mask, dropout_p=p
            )
            ctx = ctx.transpose(1, 2).reshape(b, t, h)
            x = F.layer_norm(self.drop(layer.ao(ctx)) + x, (h,), layer.aln_w, layer.aln_b, eps)
            up = F.gelu(layer.fi(x))
            x = F.layer_norm(self.drop(layer.fo(up)) + x, (h,), layer.oln_w, layer.oln_b, eps)
            if l + 1 in taps:
                tapped[l + 1] = x
        return [tapped[t] for t in taps]

    def adapter(self):
        """LoRA tensors under spinscope's names, with the scale folded into B."""
        out = {}
        for l, layer in enumerate(self.layers):
            for m in self.MATRICES:
                lin = getattr(layer, m)
                out[f"lora.l{l}.{m}.a"] = lin.a.detach().float().cpu().numpy()
                out[f"lora.l{l}.{m}.b"] = (lin.b.detach().float() * lin.scale).cpu().numpy()
        return out


class Mlp(nn.Module):
    """spinscope's head: in -> 256 (tanh) -> classes, Glorot-uniform weights."""

    def __init__(self, inputs, classes):
        super().__init__()
        bound = lambda r, c: math.sqrt(6.0 / (r + c))
        self.w1 = nn.Parameter(torch.empty(HEAD_HIDDEN, inputs).uniform_(-1, 1) * bound(HEAD_HIDDEN, inputs))
        self.b1 = nn.Parameter(torch.zeros(HEAD_HIDDEN))
        self.w2 = nn.Parameter(torch.empty(classes, HEAD_HIDDEN).uniform_(-1, 1) * bound(classes, HEAD_HIDDEN))
        self.b2 = nn.Parameter(torch.zeros(classes))
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return F.linear(torch.tanh(F.linear(self.drop(x), self.w1, self.b1)), self.w2, self.b2)

    def tensors(self, prefix):
        return {f"{prefix}.{n}": getattr(self, n).detach().float().cpu().numpy() for n in ["w1", "b1", "w2", "b2"]}


class Model(nn.Module):
    def __init__(self, cfg, base, args, extras):
        super().__init__()
        h = cfg["hidden"]
        self.encoder = Encoder(cfg, base, args.rank, args.alpha, args.lora_dropout)
        # The layers the span and technique heads, the attribution tagger and the claim head read.
        self.technique_layer, self.attribution_layer = args.technique_layer, args.attribution_layer
        # How the bundle's articles share windows (none: a window per sentence); the import checks it.
        self.window_pack = cfg.get("window_pack")
        self.taps = [args.technique_layer, args.attribution_layer, cfg["layers"]]
        self.span = Mlp(h, 2)
        self.technique = Mlp(3 * h + extras, len(cfg["techniques"]))
        self.attribution = Mlp(h, 1 + 2 * len(cfg["roles"]))
        self.claim = Mlp(h, 2)


# ----------------------------------------------------------------------------- data


class Docs:
    """One dataset of the bundle: documents cut into windows."""

    def __init__(self, data, prefix):
        get = lambda n: data[f"{prefix}.{n}"].astype(np.int64)
        self.ids, self.win_off, self.doc_win, self.doc_tok = get("ids"), get("win_off"), get("doc_win"), get("doc_tok")
        self.n = len(self.doc_win) - 1

    def tokens(self, d):
        return self.doc_tok[d + 1] - self.doc_tok[d]


def encode_docs(model, docs, doc_list, device, budget):
    """Hidden states of the content tokens of `doc_list` after the last layer and after the
    technique heads' layer, each laid end to end in document order (as spinscope's
    `features::layout`), and where each document starts in those arrays."""
    windows = np.concatenate([np.arange(docs.doc_win[d], docs.doc_win[d + 1]) for d in doc_list])
    lengths = docs.win_off[windows + 1] - docs.win_off[windows]
    content = lengths - 2
    flat_start = np.concatenate([[0], np.cumsum(content)[:-1]])
    starts = [0]
    for d in doc_list:
        starts.append(starts[-1] + docs.tokens(d))
    order = np.argsort(lengths, kind="stable")
    pieces, dest = [[] for _ in model.taps], []
    i = 0
    while i < len(order):
        t = lengths[order[i]]
        j = i
        while j < len(order) and (j - i + 1) * max(t, lengths[order[j]]) <= budget:
            t = max(t, lengths[order[j]])
            j += 1
        j = max(j, i + 1)
        group = order[i:j]
        t = int(lengths[group].max())
        ids = np.zeros((len(group), t), dtype=np.int64)
        for r, w in enumerate(group):
            s = docs.win_off[windows[w]]
            ids[r, : lengths[w]] = docs.ids[s : s + lengths[w]]
        lens = torch.from_numpy(lengths[group]).to(device)
        by_tap = model.encoder(torch.from_numpy(ids).to(device), lens, model.taps)
        # Content positions as flat indices computed here: a boolean mask would make the GPU
        # wait for the host on every pass.
        keep = torch.from_numpy(np.concatenate([r * t + np.arange(1, lengths[w] - 1) for r, w in enumerate(group)])).to(device)
        for kept, x in zip(pieces, by_tap):
            kept.append(x.reshape(-1, x.shape[-1])[keep])
        dest.append(np.concatenate([flat_start[w] + np.arange(content[w]) for w in group]))
        i = j
    order = torch.from_numpy(np.argsort(np.concatenate(dest))).to(device)
    return States(*[torch.cat(p)[order] for p in pieces]), starts


class States:
    """One pass's states: `techniques` for the span and technique heads, `attribution` for the
    tagger, `last` for the claim head (the same tensor where the layers are one)."""

    def __init__(self, techniques, attribution, last):
        self.techniques, self.attribution, self.last = techniques, attribution, last

    def float(self):
        return States(self.techniques.float(), self.attribution.float(), self.last.float())


def segment_mean(states, ranges):
    """Mean of states over each [start, end) row range (zeros when empty)."""
    zero = torch.zeros(1, states.shape[1], device=states.device, dtype=states.dtype)
    cs = torch.cat([zero, states.cumsum(0)])
    s = torch.as_tensor(ranges[:, 0], device=states.device)
    e = torch.as_tensor(ranges[:, 1], device=states.device)
    n = (e - s).clamp(min=1).to(states.dtype)[:, None]
    return (cs[e] - cs[s]) / n


def segment_max(states, ranges):
    """Elementwise max of states over each [start, end) row range (zeros when empty)."""
    s = torch.as_tensor(ranges[:, 0], device=states.device)
    n = torch.as_tensor(ranges[:, 1] - ranges[:, 0], device=states.device).clamp(min=0)
    width = max(1, int(n.max())) if len(n) else 1
    steps = torch.arange(width, device=states.device)
    rows = (s[:, None] + steps[None, :]).clamp(max=states.shape[0] - 1)
    inside = steps[None, :] < n[:, None]
    low = torch.finfo(states.dtype).min
    picked = states[rows].masked_fill(~inside[:, :, None], low).amax(1)
    return torch.where((n > 0)[:, None], picked, torch.zeros_like(picked))


def span_features(states, ranges, extras):
    """spinscope's `tier::span_features`: [mean of the span; mean of its sentences; max of the
    span; its `tier::span_extras`, computed by the export (an (n, 0) array in older bundles)]."""
    parts = [segment_mean(states, ranges[:, :2]), segment_mean(states, ranges[:, 2:]), segment_max(states, ranges[:, :2])]
    parts.append(torch.as_tensor(extras, device=states.device).to(parts[0].dtype))
    return torch.cat(parts, 1)


def span_extras(data, name, rows):
    """Rows of the export's span extras; none for bundles written before they existed."""
    if name not in data:
        return np.zeros((len(rows), 0), dtype=np.float32)
    return data[name].astype(np.float32)[rows]


def tc_rows(tc, doc_list, starts):
    """The gold spans of `doc_list`, their (span, context) token ranges shifted into the batch."""
    rows, ranges = [], []
    where = {d: k for k, d in enumerate(doc_list)}
    for r in np.nonzero(np.isin(tc[:, 0], doc_list))[0]:
        off = starts[where[tc[r, 0]]]
        rows.append(r)
        ranges.append([off + tc[r, 1], off + tc[r, 2], off + tc[r, 3], off + tc[r, 4]])
    return np.array(rows, dtype=np.int64), np.array(ranges, dtype=np.int64).reshape(-1, 4)


def doc_labels(labels, docs, doc_list):
    return np.concatenate([labels[docs.doc_tok[d] : docs.doc_tok[d + 1]] for d in doc_list])


def groups(doc_list, docs, tokens_per_step, rng):
    doc_list = list(doc_list)
    rng.shuffle(doc_list)
    out, cur, size = [], [], 0
    for d in doc_list:
        cur.append(d)
        size += docs.tokens(d)
        if size >= tokens_per_step:
            out.append(cur)
            cur, size = [], 0
    if cur:
        out.append(cur)
    return out


# ----------------------------------------------------------------------------- one run


def run(args):
    """One fold (args.fold in 0..folds-1) or the final model (args.fold == -1)."""
    torch.manual_seed(args.seed + args.fold + 1)
    rng = np.random.default_rng(args.seed + args.fold + 1)
    device = torch.device(args.device)
    # Six runs share the machine's cores.
    torch.set_num_threads(args.threads)
    cfg = json.load(open(os.path.join(args.bundle, "config.json")))
    base = load_file(os.path.join(args.bundle, "base.safetensors"))
    data = load_file(os.path.join(args.bundle, "data.safetensors"))
    folds = cfg["folds"]
    if args.technique_layer is None:
        # Bundles written before the export named the layer: the last, as their heads read.
        args.technique_layer = cfg.get("technique_layer", cfg["layers"])
    if args.attribution_layer is None:
        args.attribution_layer = cfg["layers"]
    for flag, layer in [("--technique-layer", args.technique_layer), ("--attribution-layer", args.attribution_layer)]:
        if not 0 <= layer <= cfg["layers"]:
            raise SystemExit(f"{flag} {layer}: the encoder has {cfg['layers']} layers")
    model = Model(cfg, base, args, data["ptc.tc_extra"].shape[1] if "ptc.tc_extra" in data else 0).to(device)
    ptc, pol = Docs(data, "ptc"), Docs(data, "polnear")
    ct, check = Docs(data, "ct_train"), Docs(data, "check")
    # Bundles exported before CheckThat! dev was sealed carry it; newer ones do not.
    ct_dev = Docs(data, "ct_dev") if "ct_dev.ids" in data else None
    si = data["ptc.si"].astype(np.int64)
    tc = data["ptc.tc"].astype(np.int64)
    tc_label = data["ptc.tc_label"].astype(np.int64)
    bio = data["polnear.bio"].astype(np.int64)
    ct_y = data["ct_train.y"].astype(np.int64)

    def split(n):
        idx = np.arange(n)
        if args.fold < 0:
            return idx, idx[:0]
        return idx[idx % folds != args.fold], idx[idx % folds == args.fold]

    (ptc_train, ptc_test), (pol_train, pol_test), (ct_train, ct_test) = split(ptc.n), split(pol.n), split(ct.n)
    if args.limit:
        ptc_train, pol_train, ct_train = ptc_train[: args.limit], pol_train[: args.limit], ct_train[: 20 * args.limit]
        ptc_test, pol_test, ct_test = ptc_test[: args.limit], pol_test[: args.limit], ct_test[: 20 * args.limit]
    name = "final" if args.fold < 0 else f"fold{args.fold}"

    lora = [p for n, p in model.named_parameters() if n.startswith("encoder.")]
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    opt = torch.optim.AdamW(
        [{"params": lora, "lr": args.lr}, {"params": heads, "lr": args.head_lr}], weight_decay=0.01
    )
    steps_per_epoch = (
        len(groups(ptc_train, ptc, args.tokens, np.random.default_rng(0)))
        + len(groups(pol_train, pol, args.tokens, np.random.default_rng(0)))
        + len(groups(ct_train[: int(len(ct_train) * args.ct_fraction)], ct, args.tokens, np.random.default_rng(0)))
    )
    total = steps_per_epoch * args.epochs
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    claim_weight = torch.tensor([1.0, 2.0], device=device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    checkpoints = sorted(set(args.checkpoints) | {args.epochs})
    log(f"{name}: {steps_per_epoch} steps per epoch, {args.epochs} epochs, checkpoints {checkpoints}")

    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = (
            [("ptc", g) for g in groups(ptc_train, ptc, args.tokens, rng)]
            + [("pol", g) for g in groups(pol_train, pol, args.tokens, rng)]
            + [("ct", g) for g in groups(rng.permutation(ct_train)[: int(len(ct_train) * args.ct_fraction)], ct, args.tokens, rng)]
        )
        rng.shuffle(batches)
        sums, counts, started = {}, {}, time.time()
        for task, g in batches:
            if args.max_steps and step >= args.max_steps:
                break
            with autocast:
                if task == "ptc":
                    states, starts = encode_docs(model, ptc, g, device, args.budget)
                    y = torch.from_numpy(doc_labels(si, ptc, g)).to(device)
                    loss = F.cross_entropy(model.span(states.techniques).float(), y)
                    rows, ranges = tc_rows(tc, g, starts)
                    if len(rows):
                        feats = span_features(states.techniques, ranges, span_extras(data, "ptc.tc_extra", rows))
                        yt = torch.from_numpy(tc_label[rows]).to(device)
                        loss = loss + F.cross_entropy(model.technique(feats).float(), yt)
                elif task == "pol":
                    states, _ = encode_docs(model, pol, g, device, args.budget)
                    y = torch.from_numpy(doc_labels(bio, pol, g)).to(device)
                    loss = F.cross_entropy(model.attribution(states.attribution).float(), y)
                else:
                    states, starts = encode_docs(model, ct, g, device, args.budget)
                    ranges = np.array([starts[:-1], starts[1:]]).T
                    y = torch.from_numpy(ct_y[g]).to(device)
                    loss = F.cross_entropy(model.claim(segment_mean(states.last, ranges)).float(), y, weight=claim_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            schedule.step()
            step += 1
            sums[task] = sums.get(task, 0.0) + loss.detach()
            counts[task] = counts.get(task, 0) + 1
        losses = ", ".join(f"{t} {float(sums[t]) / counts[t]:.4f}" for t in sorted(sums))
        log(f"{name}: epoch {epoch} ({time.time() - started:.0f} s): loss {losses}")
        if epoch in checkpoints:
            save_checkpoint(args, model, name, epoch, device, autocast, ptc, pol, ct, ct_dev, check, ptc_test, pol_test, ct_test, tc, si, bio, tc_label, ct_y, data)
        if args.max_steps and step >= args.max_steps and epoch >= max(checkpoints):
            break


@torch.no_grad()
def predict(model, docs, doc_list, device, autocast, budget, chunk=64):
    """Yields (doc group, states, starts) in chunks of documents."""
    for i in range(0, len(doc_list), chunk):
        g = list(doc_list[i : i + chunk])
        with autocast:
            states, starts = encode_docs(model, docs, g, device, budget)
        yield g, states.float(), starts


def weights(model):
    """The adapter and the four heads, as the import reads them."""
    out = dict(model.encoder.adapter())
    for head in ["span", "technique", "attribution", "claim"]:
        out.update(getattr(model, head).tensors(head))
    # As spinscope's heads file names it; the import reads it back.
    out["technique.layer"] = np.array([model.technique_layer], dtype=np.float32)
    out["attribution.layer"] = np.array([model.attribution_layer], dtype=np.float32)
    if model.window_pack:
        out["window.pack"] = np.array([model.window_pack], dtype=np.float32)
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


@torch.no_grad()
def save_checkpoint(args, model, name, epoch, device, autocast, ptc, pol, ct, ct_dev, check, ptc_test, pol_test, ct_test, tc, si, bio, tc_label, ct_y, data):
    model.eval()
    out = {}
    probs = lambda logits: torch.softmax(logits.float(), -1)
    if args.fold >= 0:
        si_p = np.full(len(si), -1.0, dtype=np.float16)
        tc_p = np.full((len(tc_label), model.technique.w2.shape[0]), -1.0, dtype=np.float16)
        for g, states, starts in predict(model, ptc, ptc_test, device, autocast, args.budget):
            p = probs(model.span(states.techniques))[:, 1].cpu().numpy()
            at = 0
            for d in g:
                n = ptc.tokens(d)
                si_p[ptc.doc_tok[d] : ptc.doc_tok[d] + n] = p[at : at + n]
                at += n
            rows, ranges = tc_rows(tc, g, starts)
            if len(rows):
                feats = span_features(states.techniques, ranges, span_extras(data, "ptc.tc_extra", rows))
                tc_p[rows] = probs(model.technique(feats)).cpu().numpy()
        bio_p = np.full(len(bio), 255, dtype=np.uint8)
        bio_probs = np.full((len(bio), model.attribution.w2.shape[0]), -1.0, dtype=np.float16)
        for g, states, _ in predict(model, pol, pol_test, device, autocast, args.budget):
            p = probs(model.attribution(states.attribution)).cpu().numpy()
            at = 0
            for d in g:
                n = pol.tokens(d)
                bio_p[pol.doc_tok[d] : pol.doc_tok[d] + n] = p[at : at + n].argmax(-1)
                bio_probs[pol.doc_tok[d] : pol.doc_tok[d] + n] = p[at : at + n]
                at += n
        ct_p = np.full(len(ct_y), -1.0, dtype=np.float32)
        for g, states, starts in predict(model, ct, ct_test, device, autocast, args.budget, chunk=1024):
            ranges = np.array([starts[:-1], starts[1:]]).T
            ct_p[g] = probs(model.claim(segment_mean(states.last, ranges)))[:, 1].cpu().numpy()
        out = {"ptc.si_p": si_p, "ptc.tc_p": tc_p, "polnear.bio": bio_p, "polnear.bio_p": bio_probs, "ct_train.p": ct_p}
        # The fold's own model too, so work on these results off the GPU (new heads, other
        # decodings) can stay held out: fold k's model never saw fold k.
        save_file(weights(model), os.path.join(args.work, f"{name}-model-e{epoch}.safetensors"))
        # Quick held-out figures for the log (the real scores come from spinscope's scorers).
        m = si_p >= 0
        pred, gold = si_p[m] >= 0.5, si[m] == 1
        tp = float((pred & gold).sum())
        f1 = 2 * tp / max(1.0, float(pred.sum() + gold.sum()))
        mt = tc_p[:, 0] >= 0
        acc = float((tc_p[mt].argmax(1) == tc_label[mt]).mean()) if mt.any() else 0.0
        mb = bio_p != 255
        bacc = float((bio_p[mb] == bio[mb]).mean()) if mb.any() else 0.0
        log(f"{name}: epoch {epoch} held out: SI token F1@0.5 {f1:.3f}, TC accuracy {acc:.3f}, BIO token accuracy {bacc:.3f}")
    else:
        out.update(weights(model))
        if ct_dev is not None:
            dev_p = np.zeros(ct_dev.n, dtype=np.float32)
            for g, states, starts in predict(model, ct_dev, np.arange(ct_dev.n), device, autocast, args.budget, chunk=1024):
                ranges = np.array([starts[:-1], starts[1:]]).T
                dev_p[g] = probs(model.claim(segment_mean(states.last, ranges)))[:, 1].cpu().numpy()
            out["ct_dev.p"] = dev_p
        # The check text in full precision: step 3 compares candle's outputs with these.
        model.float()
        states, _ = encode_docs(model, check, [0], device, args.budget)
        sent = data["check.sent"].astype(np.int64)
        out["check.span_p"] = probs(model.span(states.techniques))[:, 1].cpu().numpy()
        out["check.claim_p"] = probs(model.claim(segment_mean(states.last, sent)))[:, 1].cpu().numpy()
        first = np.array([[sent[0, 0], sent[0, 1]]])
        feats = span_features(states.techniques, np.concatenate([first, first], 1), span_extras(data, "check.extra", [0]))
        out["check.technique_p"] = probs(model.technique(feats))[0].cpu().numpy()
        out["check.attribution"] = model.attribution(states.attribution).argmax(-1).cpu().numpy().astype(np.uint8)
    path = os.path.join(args.work, f"{name}-e{epoch}.safetensors")
    save_file({k: np.ascontiguousarray(v) for k, v in out.items()}, path + ".tmp")
    os.replace(path + ".tmp", path)
    log(f"{name}: saved epoch {epoch}")
    model.train()


# ----------------------------------------------------------------------------- the whole job


def merge(args, cfg):
    """Out-of-fold predictions of every checkpoint all folds reached, one file per checkpoint
    (oof-eN.safetensors: each fits the trip back from a GPU machine); the final model's and the
    folds' models of those checkpoints moved next to them."""
    folds = cfg["folds"]
    for e in sorted(set(args.checkpoints) | {args.epochs}):
        paths = [os.path.join(args.work, f"fold{k}-e{e}.safetensors") for k in range(folds)]
        if not all(os.path.exists(p) for p in paths):
            log(f"epoch {e}: not every fold finished it; left out")
            continue
        merged = None
        for p in paths:
            part = load_file(p)
            if merged is None:
                merged = {k: v.copy() for k, v in part.items()}
                continue
            for k, v in part.items():
                missing = merged[k] == 255 if v.dtype == np.uint8 else merged[k] < 0
                merged[k][missing] = v[missing]
        path = os.path.join(args.out, f"oof-e{e}.safetensors")
        save_file({f"e{e}.{k}": v for k, v in merged.items()}, path)
        log(f"wrote {path}")
        for kept in [f"final-e{e}.safetensors"] + [f"fold{k}-model-e{e}.safetensors" for k in range(folds)]:
            if os.path.exists(os.path.join(args.work, kept)):
                os.replace(os.path.join(args.work, kept), os.path.join(args.out, kept))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True, help="what `spinscope train model --export` wrote")
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--checkpoints", type=int, nargs="*", default=[2, 4, 7])
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--lora-dropout", type=float, default=0.05)
    ap.add_argument("--lr", type=float, default=8e-4)
    ap.add_argument("--head-lr", type=float, default=2e-3)
    ap.add_argument(
        "--technique-layer", type=int, default=None, help="layer the span and technique heads read (default: the bundle's)"
    )
    ap.add_argument("--attribution-layer", type=int, default=None, help="layer the attribution tagger reads (default: the last)")
    ap.add_argument("--ct-fraction", type=float, default=1.0, help="share of CheckThat! train seen each epoch")
    ap.add_argument("--tokens", type=int, default=8192, help="content tokens per training step")
    # Eager PyTorch spends most of a step dispatching small kernels (measured on one H200 with
    # 16384: 60-75 s per epoch per run, six runs in parallel, the same with CUDA MPS), so fewer,
    # larger passes are faster; 32768 keeps six runs well inside 139 GB.
    ap.add_argument("--budget", type=int, default=32768, help="padded tokens per forward pass")
    ap.add_argument("--deadline", type=float, default=0, help="seconds; then stop and keep what is done")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=0, help="runs at once (default all; each holds ~8 GB on a CPU)")
    ap.add_argument("--limit", type=int, default=0, help="smoke test: documents per split")
    ap.add_argument("--max-steps", type=int, default=0, help="smoke test: steps per run")
    ap.add_argument("--fold", type=int, default=None, help="internal: run one fold (-1: final)")
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    args.work = args.work or os.path.join(args.out, "work")
    os.makedirs(args.work, exist_ok=True)
    if args.fold is not None:
        torch.use_deterministic_algorithms(True, warn_only=True)
        run(args)
        return
    cfg = json.load(open(os.path.join(args.bundle, "config.json")))
    started = time.time()
    runs = list(range(cfg["folds"])) + [-1]
    jobs = args.jobs if args.jobs > 0 else len(runs)
    log(f"torch {torch.__version__} on {args.device}; {cfg['folds']} folds and the final model, {jobs} at a time")
    env = dict(os.environ, CUBLAS_WORKSPACE_CONFIG=":4096:8", PYTHONUNBUFFERED="1")
    procs, waiting = [], list(runs)

    def start_next():
        while waiting and sum(p.poll() is None for _, p, _ in procs) < jobs:
            fold = waiting.pop(0)
            cmd = [sys.executable, __file__, "--fold", str(fold), "--work", args.work] + sys.argv[1:]
            logf = open(os.path.join(args.work, f"run{fold}.log"), "w")
            procs.append((fold, subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env), logf))

    start_next()
    while waiting or any(p.poll() is None for _, p, _ in procs):
        time.sleep(10)
        start_next()
        if args.deadline and time.time() - started > args.deadline:
            log("deadline reached: stopping the runs, keeping the checkpoints they saved")
            for _, p, _ in procs:
                p.kill()
            waiting.clear()
            break
        lines = []
        for fold, _, _ in procs:
            with open(os.path.join(args.work, f"run{fold}.log")) as f:
                tail = [l for l in f.read().splitlines() if l.startswith("[")]
            lines.append(tail[-1] if tail else f"run {fold}: starting")
        log(f"{time.time() - started:.0f} s: " + " | ".join(l.split("] ", 1)[-1] for l in lines))
    with open(os.path.join(args.out, "finetune.log"), "w") as all_logs:
        for fold, p, logf in procs:
            logf.close()
            with open(os.path.join(args.work, f"run{fold}.log")) as f:
                text = f.read()
            all_logs.write(text)
            if p.returncode not in (0, None):
                log(f"run {fold} exited with {p.returncode}:\n" + "\n".join(text.splitlines()[-15:]))
    merge(args, cfg)
    log(f"done in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
