#!/usr/bin/env python3
"""Retrieval quality of GET /api/v1/search: posts the corpus to a running inbox as signed WhatsApp webhooks,
waits until every message is projected and embedded, runs every query of queries.jsonl in the keyword,
semantic and hybrid modes (limit=10), and reports recall@10 and nDCG@10. Python 3 standard library only.

    bench.py ingest   --base URL [--json ingest.json]        (signs with META_APP_SECRET, WHATSAPP_PHONE_ID)
    bench.py evaluate --base URL [--ingest ingest.json] [--json out.json] [--show-losses]   (INBOX_API_TOKEN)

run.sh starts the throwaway inbox, wa-sim and the embedding model, and calls both.
"""
import argparse
import hashlib
import hmac
import json
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import corpus

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = ("keyword", "semantic", "hybrid")
K = 10
# Senders: the messages are spread over this many contacts (conversations), by a hash of their id.
CONTACTS = 150


def request(method, url, body=None, headers=None, timeout=60):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def health(base):
    return json.loads(request("GET", f"{base}/health", timeout=10)[1])


def sql(query, **variables):
    """One row of integers from the inbox's database (DATABASE_URL), through psql (PSQL, default `psql`)."""
    argv = [os.environ.get("PSQL", "psql"), os.environ["DATABASE_URL"], "-qAtX", "-F", " "]
    for name, value in variables.items():
        argv += ["-v", f"{name}={value}"]
    out = subprocess.run(argv, input=query, capture_output=True, text=True, check=True).stdout
    return [int(x) for x in out.split()]


def webhook_body(phone_id, sender, wamid, text, seconds):
    """One inbound text message, shaped as Meta sends it."""
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_id},
            "contacts": [{"wa_id": sender, "profile": {"name": f"Contact {sender[-4:]}"}}],
            "messages": [{"from": sender, "id": wamid, "timestamp": str(1_700_000_000 + seconds),
                          "type": "text", "text": {"body": text}}],
        }}]}],
    }, ensure_ascii=False).encode()


def sender_of(message_id):
    n = int(hashlib.sha256(message_id.encode()).hexdigest(), 16) % CONTACTS
    return f"33600{n:06d}"


def ingest(args):
    rows = corpus.load()
    started = time.monotonic()

    def post(item):
        i, (mid, _, text) = item
        body = webhook_body(os.environ["WHATSAPP_PHONE_ID"], sender_of(mid), mid, text, i * 30)
        sig = "sha256=" + hmac.new(os.environ["META_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()
        for attempt in range(5):
            try:
                status, _ = request("POST", f"{args.base}/webhook/whatsapp", body,
                                    {"content-type": "application/json", "x-hub-signature-256": sig})
                if status == 200:
                    return
            except urllib.error.HTTPError as e:
                if e.code < 500 and e.code != 429:
                    raise SystemExit(f"webhook refused {mid}: {e.code} {e.read()[:200]!r}")
            except urllib.error.URLError:
                pass
            time.sleep(0.2 * (attempt + 1))
        raise SystemExit(f"webhook failed for {mid}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(post, enumerate(rows)))
    posted = time.monotonic() - started
    print(f"posted {len(rows)} messages in {posted:.1f} s", file=sys.stderr)

    # Projected: the webhook counted every message and every projection has caught up with the store.
    deadline = time.monotonic() + args.timeout
    while True:
        h = health(args.base)
        if h["webhook"]["messages_received"] >= len(rows) and all(p.get("lag", 1) == 0 for p in h["projections"]):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"not projected after {args.timeout} s: {json.dumps(h)[:600]}")
        time.sleep(0.5)
    projected_at = time.monotonic() - started
    print(f"projected after {projected_at:.1f} s", file=sys.stderr)
    # Embedded: every search document's text has a vector of the model. /health's `search.pending` cannot
    # tell (it is counted when a sweep starts, so it reaches 0 while documents that arrived since are still
    # being embedded), so this asks the database, as the worker does.
    model = health(args.base)["search"]["model"]
    while True:
        search = health(args.base)["search"]
        if search["state"] == "failing":
            raise SystemExit(f"the embedding model is failing: {search.get('error')}")
        documents, missing = sql(
            "select count(*), count(*) filter (where not exists (select 1 from search_vectors v "
            "where v.model = :'model' and v.sha256 = d.passage_sha256)) from search_documents d", model=model)
        if documents >= len(rows) and missing == 0:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"not embedded after {args.timeout} s: {documents} documents, {missing} without a vector")
        time.sleep(1)
    embedded_at = time.monotonic() - started
    print(f"embedded after {embedded_at:.1f} s", file=sys.stderr)
    distinct = sql("select count(*) from search_vectors where model = :'model'", model=model)[0]
    report = {"messages": len(rows), "post_seconds": round(posted, 1), "projected_seconds": round(projected_at, 1),
              "embedded_seconds": round(embedded_at, 1), "embedded_texts": search["embedded"],
              "vectors": distinct, "model": model}
    print(json.dumps(report), file=sys.stderr)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh)


def ndcg(ranked, relevant):
    dcg = sum(1 / math.log2(i + 2) for i, m in enumerate(ranked[:K]) if m in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return dcg / ideal


def recall(ranked, relevant):
    """Relevant messages in the top 10 over those that fit there (min(|relevant|, 10))."""
    return len(set(ranked[:K]) & relevant) / min(len(relevant), K)


def search(base, token, q, mode):
    url = f"{base}/api/v1/search?" + urllib.parse.urlencode({"q": q, "mode": mode, "limit": K})
    started = time.monotonic()
    _, body = request("GET", url, headers={"authorization": f"Bearer {token}"})
    page = json.loads(body)
    return page, time.monotonic() - started


def evaluate(args):
    with open(os.path.join(HERE, "queries.jsonl"), encoding="utf-8") as fh:
        queries = [json.loads(line) for line in fh if line.strip()]
    known = {mid for mid, _, _ in corpus.load()}
    results = []
    latency = defaultdict(list)
    for q in queries:
        relevant = set(q["relevant"])
        assert relevant <= known, q["id"]
        row = {"id": q["id"], "query": q["query"], "lang": q["lang"], "kind": q["kind"], "relevant": len(relevant)}
        for mode in MODES:
            page, seconds = search(args.base, os.environ["INBOX_API_TOKEN"], q["query"], mode)
            if page["mode"] != mode:
                raise SystemExit(f"{mode} answered as {page['mode']}: {page.get('notice')}")
            ranked = [h["message_id"] for h in page["hits"]]
            latency[mode].append(seconds)
            row[mode] = {"recall": recall(ranked, relevant), "ndcg": ndcg(ranked, relevant), "top": ranked}
        results.append(row)

    def mean(rows, mode, metric):
        return sum(r[mode][metric] for r in rows) / len(rows)

    groups = [("all", results)]
    for key in ("kind", "lang"):
        for value in sorted({r[key] for r in results}):
            groups.append((f"{key} = {value}", [r for r in results if r[key] == value]))
    lines = ["| Queries | n | " + " | ".join(f"{m} R@10" for m in MODES) + " | "
             + " | ".join(f"{m} nDCG@10" for m in MODES) + " |",
             "|---|---:|" + "---:|" * 6]
    for name, rows in groups:
        cells = [f"{mean(rows, m, 'recall'):.3f}" for m in MODES] + [f"{mean(rows, m, 'ndcg'):.3f}" for m in MODES]
        lines.append(f"| {name} | {len(rows)} | " + " | ".join(cells) + " |")
    out = ["## Retrieval quality (recall@10, nDCG@10)", "", *lines, ""]
    out.append("Search latency through the API (s, median / max): " + ", ".join(
        f"{m} {statistics.median(latency[m]):.3f} / {max(latency[m]):.3f}" for m in MODES))
    if args.ingest and os.path.exists(args.ingest):
        with open(args.ingest) as fh:
            ing = json.load(fh)
        out.append(f"Ingest: {ing['messages']} messages posted in {ing['post_seconds']} s, all projected after "
                   f"{ing['projected_seconds']} s, all embedded after {ing['embedded_seconds']} s "
                   f"({ing['vectors']} distinct texts embedded, model `{ing['model']}`).")
    wins = {m: sum(1 for r in results if r["hybrid"]["ndcg"] > r[m]["ndcg"] + 1e-9) for m in ("keyword", "semantic")}
    losses = {m: sum(1 for r in results if r["hybrid"]["ndcg"] < r[m]["ndcg"] - 1e-9) for m in ("keyword", "semantic")}
    out.append(f"Per query (nDCG@10): hybrid beats keyword on {wins['keyword']}, loses on {losses['keyword']}; "
               f"beats semantic on {wins['semantic']}, loses on {losses['semantic']} (of {len(results)}).")
    if args.show_losses:
        out += ["", "### Queries where hybrid is below the better single mode (nDCG@10)", "",
                "| Query | kind | rel | keyword | semantic | hybrid |", "|---|---|---:|---:|---:|---:|"]
        for r in sorted(results, key=lambda r: r["hybrid"]["ndcg"] - max(r["keyword"]["ndcg"], r["semantic"]["ndcg"])):
            best = max(r["keyword"]["ndcg"], r["semantic"]["ndcg"])
            if r["hybrid"]["ndcg"] < best - 1e-9:
                out.append(f"| {r['query']} | {r['kind']} | {r['relevant']} | {r['keyword']['ndcg']:.3f} | "
                           f"{r['semantic']['ndcg']:.3f} | {r['hybrid']['ndcg']:.3f} |")
    print("\n".join(out))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"queries": results, "latency": latency}, fh, ensure_ascii=False, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("ingest")
    a.add_argument("--base", required=True)
    a.add_argument("--timeout", type=float, default=3600)
    a.add_argument("--json")
    e = sub.add_parser("evaluate")
    e.add_argument("--base", required=True)
    e.add_argument("--ingest", help="the ingest report to quote")
    e.add_argument("--json", help="write every query's scores and top 10 here")
    e.add_argument("--show-losses", action="store_true")
    args = ap.parse_args()
    (ingest if args.command == "ingest" else evaluate)(args)


if __name__ == "__main__":
    main()
