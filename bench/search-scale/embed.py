#!/usr/bin/env python3
"""Real multilingual-e5-small vectors for the search-scale bench (round 4), and their geometry.

    embed.py vectors --url URL --out FILE      embed the corpus of bench/search/corpus.py and write FILE
    embed.py geometry FILE [--synthetic]       cosine percentiles of FILE (or of the synthetic generator)

The corpus is read at run time (bench/search/corpus.py over WATCH_DATA, read-only); FILE holds vectors
derived from it and must stay untracked (bench/search-scale/out/*.f32 is git-ignored).

FILE format (little-endian): u32 magic 0x45355643 ("CV5E"), u32 dim, u32 centroids, u32 queries, then
centroids × dim f32 (passages, normalised), then queries × dim f32 (normalised). Centroids are every text
whose index is not ≡ 0 mod 10 (passage:), queries are bench/search/queries.jsonl (query:) followed by the
held-out texts (index ≡ 0 mod 10, embedded as query:). The order is fixed, so two runs of the same model
over the same data give the same file.
"""
import argparse
import json
import os
import random
import struct
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SEARCH = os.path.join(HERE, "..", "search")
sys.dont_write_bytecode = True
sys.path.insert(0, SEARCH)

MAGIC = 0x45355643

# Paraphrase pairs written for this measurement (not from the corpus): the same chat message said two ways.
PARAPHRASES = [
    ("Virement envoyé ce matin pour la Submariner, tu confirmes ?",
     "J'ai fait le virement pour la Sub ce matin, tu peux me confirmer la réception ?"),
    ("Elle est toujours dispo la Daytona acier ?", "La Daytona en acier, tu l'as encore ?"),
    ("Boîte et papiers inclus, full set de 2019", "Vendue complète avec boîte et papiers, carte de 2019"),
    ("Quel est ton meilleur prix pour la Nautilus ?", "C'est quoi ton dernier prix sur la 5711 ?"),
    ("Is the GMT still available?", "Do you still have the GMT Master for sale?"),
    ("Shipping tomorrow with insurance, tracking to follow", "I'll send it insured tomorrow and share the tracking number"),
    ("Can you send more pictures of the bracelet?", "Could you share a few more photos of the bracelet please?"),
    ("Montre révisée l'an dernier, bon état général", "Service fait l'année dernière, la montre est en bon état"),
    ("Je peux passer la voir samedi à Paris ?", "Possible de venir la voir à Paris ce samedi ?"),
    ("Price drop: 9500 euros, last offer", "Reduced to 9,500 EUR, that's my final price"),
    ("Cadran bleu, lunette céramique, 41 mm", "Lunette en céramique, cadran bleu, boîtier de 41mm"),
    ("Merci, bien reçue, elle est magnifique !", "Reçue aujourd'hui, merci, elle est superbe"),
]


def post(url, texts, kind):
    body = json.dumps({"model": "multilingual-e5-small-q4", "input": texts, "input_type": kind}).encode()
    req = urllib.request.Request(url + "/v1/embeddings", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        data = json.load(resp)["data"]
    return [normalise(d["embedding"]) for d in sorted(data, key=lambda d: d["index"])]


def normalise(v):
    n = sum(x * x for x in v) ** 0.5
    return [x / n for x in v]


def embed(url, texts, kind, batch=32):
    out = []
    t0 = time.time()
    for i in range(0, len(texts), batch):
        out += post(url, texts[i:i + batch], kind)
        if (i // batch) % 20 == 0:
            print(f"  {kind}: {len(out)}/{len(texts)} in {time.time() - t0:.0f} s", file=sys.stderr)
    return out


def cmd_vectors(args):
    import corpus
    rows = corpus.load()
    # Chat-style first (the WhatsApp-style sets), then the listings, capped at --max texts in all.
    chat = [r for r in rows if r[1] in ("whatsapp_dev", "own")]
    other = [r for r in rows if r[1] not in ("whatsapp_dev", "own")]
    random.Random(4).shuffle(other)
    rows = (chat + other)[: args.max]
    texts = [r[2] for r in rows]
    held = [t for i, t in enumerate(texts) if i % 10 == 0]
    cents = [t for i, t in enumerate(texts) if i % 10 != 0]
    with open(os.path.join(SEARCH, "queries.jsonl"), encoding="utf-8") as fh:
        labelled = [json.loads(line)["query"] for line in fh if line.strip()]
    print(f"{len(cents)} centroid texts ({sum(1 for r in rows if r[1] in ('whatsapp_dev', 'own'))} chat-style "
          f"in all), {len(labelled)} labelled queries, {len(held)} held-out texts", file=sys.stderr)
    c = embed(args.url, cents, "passage")
    q = embed(args.url, labelled, "query") + embed(args.url, held, "query")
    a = embed(args.url, [p[0] for p in PARAPHRASES], "passage")
    b = embed(args.url, [p[1] for p in PARAPHRASES], "passage")
    para = sorted(dot(x, y) for x, y in zip(a, b))
    print(f"paraphrase cosine (passage/passage, {len(para)} pairs): min {para[0]:.3f} "
          f"median {para[len(para) // 2]:.3f} max {para[-1]:.3f}; all: "
          + " ".join(f"{x:.3f}" for x in para))
    dim = len(c[0])
    with open(args.out, "wb") as fh:
        fh.write(struct.pack("<IIII", MAGIC, dim, len(c), len(q)))
        for v in c + q:
            fh.write(struct.pack(f"<{dim}f", *v))
    print(f"wrote {args.out}: dim {dim}, {len(c)} centroids, {len(q)} queries")


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def read(path):
    with open(path, "rb") as fh:
        magic, dim, nc, nq = struct.unpack("<IIII", fh.read(16))
        assert magic == MAGIC
        raw = fh.read()
    vals = struct.unpack(f"<{(nc + nq) * dim}f", raw)
    vecs = [vals[i * dim:(i + 1) * dim] for i in range(nc + nq)]
    return vecs[:nc], vecs[nc:]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def cmd_geometry(args):
    import numpy as np
    c, q = read(args.file)
    c = np.array(c, dtype=np.float64)
    q = np.array(q, dtype=np.float64)
    rng = np.random.default_rng(7)
    show("real e5 centroids (passage)", c, rng)
    # The chat-style texts (whatsapp_dev + messages.jsonl) come first: 572 texts, 514 of them centroids.
    show("  of which the chat-style messages", c[:514], rng)
    qc = q @ c.T
    print(f"  query→nearest centroid: p5 {np.percentile(qc.max(1), 5):.3f} p50 {np.median(qc.max(1)):.3f} "
          f"p95 {np.percentile(qc.max(1), 95):.3f}; query→random centroid p5/p50/p95 "
          f"{np.percentile(qc, 5):.3f} / {np.median(qc):.3f} / {np.percentile(qc, 95):.3f}")
    mean = c.mean(0)
    print(f"  norm of the mean vector: {np.linalg.norm(mean):.3f} (0 = isotropic, 1 = all identical)")


def show(label, x, rng):
    s = x @ x.T
    n = len(x)
    iu = np.triu_indices(n, 1)
    pairs = s[iu]
    np.fill_diagonal(s, -2)
    nn = s.max(1)
    print(f"{label}, {n} vectors:")
    print(f"  random pairs: p5 {np.percentile(pairs, 5):.3f} p50 {np.median(pairs):.3f} p95 {np.percentile(pairs, 95):.3f}")
    print(f"  nearest neighbour: p5 {np.percentile(nn, 5):.3f} p50 {np.median(nn):.3f} p95 {np.percentile(nn, 95):.3f}")


import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("vectors")
    v.add_argument("--url", required=True)
    v.add_argument("--out", required=True)
    v.add_argument("--max", type=int, default=3000)
    g = sub.add_parser("geometry")
    g.add_argument("file")
    args = ap.parse_args()
    {"vectors": cmd_vectors, "geometry": cmd_geometry}[args.cmd](args)


if __name__ == "__main__":
    main()
