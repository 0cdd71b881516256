#!/usr/bin/env python3
"""Scores `inbox extract` against the labelled sets: per-field precision, recall, F1 and support.

    python3 bench/listings/eval.py --inbox target/debug/inbox [--set whatsapp|chrono24|reddit|all]
                                   [--show-misses N] [--markdown] [--json FILE]

Precision = correct predicted non-null / predicted non-null; recall = correct predicted / labelled non-null.
A key missing from a label means "not labelled": that field is not scored for that watch. Listings of one
message are matched order-insensitively (same reference first, then brand and family, then brand), the rest
in order; for `partial` labels (reddit: only the first watch is labelled) unmatched predictions are ignored.
"""
import argparse
import json
import os
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

TYPES = ["sale", "wanted", "question", "trade", "general"]
LISTING_FIELDS = ["brand", "model", "reference", "price", "currency", "year", "condition", "box", "papers",
                  "size_mm", "movement", "price_type", "currency_implied"]
# The fields each set labels (a prediction of another field is not counted against the extractor).
SET_FIELDS = {
    "whatsapp": LISTING_FIELDS,
    "chrono24": ["brand", "model"],
    "reddit": ["brand", "model"],
}


def load(name):
    if name == "whatsapp":
        with open(os.path.join(HERE, "whatsapp_dev.jsonl"), encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    import build_shared
    return build_shared.SETS[name]()


def run_extract(inbox, rows):
    """Runs `inbox extract` once over all texts; returns id -> output row."""
    payload = "".join(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n" for r in rows)
    try:
        proc = subprocess.run([inbox, "extract"], input=payload.encode("utf-8"), capture_output=True)
    except OSError as e:
        sys.exit(f"cannot run {inbox}: {e}")
    if proc.returncode not in (0, 1):
        sys.exit(f"{inbox} extract exited {proc.returncode}: {proc.stderr.decode(errors='replace')[:2000]}")
    out = {}
    for line in proc.stdout.decode("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[row.get("id")] = row
    return out


def fold(value):
    text = unicodedata.normalize("NFKD", str(value))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def norm_ref(value):
    return "".join(str(value).upper().split())


def field_ok(field, label, pred, label_listing=None):
    """Whether a predicted non-null value is right for a labelled non-null one."""
    if label is None or pred is None:
        return False
    if field == "brand":
        return fold(pred) == fold(label)
    if field == "model":
        accept = [label] + list((label_listing or {}).get("model_accept", []))
        return any(fold(pred) == fold(a) for a in accept)
    if field == "reference":
        return norm_ref(pred) == norm_ref(label)
    if field in ("price",):
        return False  # handled with currency in listing_field_ok
    if field == "size_mm":
        return abs(float(pred) - float(label)) <= 0.05
    if field == "year":
        return int(pred) == int(label)
    if field in ("box", "papers", "currency_implied"):
        return bool(pred) == bool(label)
    return fold(pred) == fold(label)


def listing_value(listing, field):
    v = listing.get(field)
    if field == "currency_implied":
        return True if v else None  # only "implied" is a claim; false is the default
    return v


def listing_field_ok(field, lab, pred):
    if field == "price":
        lp, pp = lab.get("price"), pred.get("price")
        if lp is None or pp is None:
            return False
        try:
            close = abs(float(pp) - float(lp)) <= 0.005 * abs(float(lp))
        except (TypeError, ValueError):
            return False
        return close and (lab.get("currency") or None) == (pred.get("currency") or None)
    return field_ok(field, listing_value(lab, field), listing_value(pred, field), lab)


def match_score(lab, pred):
    if lab.get("reference") and pred.get("reference") and norm_ref(lab["reference"]) == norm_ref(pred["reference"]):
        return 3
    if lab.get("brand") and pred.get("brand") and fold(lab["brand"]) == fold(pred["brand"]):
        if lab.get("model") and pred.get("model") and field_ok("model", lab["model"], pred["model"], lab):
            return 2
        return 1
    if not lab.get("brand") and lab.get("model") and pred.get("model") and field_ok("model", lab["model"], pred["model"], lab):
        return 2
    return 0


def match(labels, preds, partial):
    """Pairs (label listing or None, predicted listing or None, identified)."""
    cands = sorted(((match_score(l, p), i, j) for i, l in enumerate(labels) for j, p in enumerate(preds)),
                   key=lambda x: (-x[0], x[1], x[2]))
    used_l, used_p, pairs = set(), set(), []
    for score, i, j in cands:
        if score > 0 and i not in used_l and j not in used_p:
            used_l.add(i)
            used_p.add(j)
            pairs.append((labels[i], preds[j], True))
    rest_l = [l for i, l in enumerate(labels) if i not in used_l]
    rest_p = [p for j, p in enumerate(preds) if j not in used_p]
    for k in range(max(len(rest_l), len(rest_p))):
        lab = rest_l[k] if k < len(rest_l) else None
        pred = rest_p[k] if k < len(rest_p) else None
        if lab is None and partial:
            continue
        pairs.append((lab, pred, False))
    return pairs


class Tally:
    def __init__(self):
        self.pred = 0
        self.gold = 0
        self.correct = 0

    def add(self, pred_present, gold_present, correct):
        self.pred += pred_present
        self.gold += gold_present
        self.correct += correct

    def prf(self):
        p = self.correct / self.pred if self.pred else 0.0
        r = self.correct / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


def evaluate(name, rows, outputs):
    fields = SET_FIELDS[name]
    tallies = defaultdict(Tally)
    type_conf = Counter()
    type_ok = 0
    count_ok = count_n = 0
    misses = []
    errors = 0
    for row in rows:
        label = row["label"]
        out = outputs.get(row["id"]) or {}
        if "error" in out or not out:
            errors += 1
        problems = []
        # type
        pred_type = out.get("type") or "general"
        accept = label.get("type_accept") or [label["type"]]
        gold_type = pred_type if pred_type in accept else label["type"]
        type_conf[(gold_type, pred_type)] += 1
        if pred_type == gold_type:
            type_ok += 1
        else:
            problems.append(f"type {pred_type!r} for {label['type']!r}")
        # language
        if "language" in label:
            lab, pred = label["language"], out.get("language")
            ok = lab is not None and pred is not None and fold(lab) == fold(pred)
            tallies["language"].add(pred is not None, lab is not None, ok)
            if (lab or pred) and not ok:
                problems.append(f"language {pred!r} for {lab!r}")
        # listings
        partial = bool(label.get("partial"))
        labels = label.get("listings", [])
        preds = out.get("listings") or []
        if not partial:
            count_n += 1
            count_ok += len(labels) == len(preds)
            if len(labels) != len(preds):
                problems.append(f"{len(preds)} listings for {len(labels)}")
        for lab, pred, identified in match(labels, preds, partial):
            lab_d, pred_d = lab or {}, pred or {}
            if not partial or lab is not None:
                tallies["listing"].add(pred is not None, lab is not None, identified)
            for field in fields:
                if lab is not None and field not in lab and not (field == "currency_implied" and "price" in lab):
                    continue  # not labelled
                if field == "price":
                    pv, lv = pred_d.get("price"), lab_d.get("price")
                else:
                    pv, lv = listing_value(pred_d, field), listing_value(lab_d, field)
                ok = listing_field_ok(field, lab_d, pred_d) if (pv is not None and lv is not None) else False
                tallies[field].add(pv is not None, lv is not None, ok)
                if (pv is not None or lv is not None) and not ok:
                    shown_p = f"{pv} {pred_d.get('currency')}" if field == "price" and pv is not None else pv
                    shown_l = f"{lv} {lab_d.get('currency')}" if field == "price" and lv is not None else lv
                    problems.append(f"{field} {shown_p!r} for {shown_l!r}")
        if problems:
            misses.append((len(problems), row["id"], row["text"], problems))
    return {
        "set": name, "n": len(rows), "errors": errors,
        "type_accuracy": type_ok / len(rows) if rows else 0.0,
        "type_conf": type_conf, "tallies": tallies,
        "count_accuracy": count_ok / count_n if count_n else None,
        "misses": sorted(misses, key=lambda m: (-m[0], m[1])),
        "fields": ["language", "listing"] + fields,
    }


def per_class(conf):
    rows = []
    for t in TYPES:
        tp = conf[(t, t)]
        pred = sum(v for (g, p), v in conf.items() if p == t)
        gold = sum(v for (g, p), v in conf.items() if g == t)
        if not pred and not gold:
            continue
        p = tp / pred if pred else 0.0
        r = tp / gold if gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append((f"type={t}", p, r, f, gold, pred))
    return rows


def report(res, markdown):
    lines = []
    title = f"{res['set']}: {res['n']} texts, type accuracy {res['type_accuracy']:.3f}"
    if res["count_accuracy"] is not None:
        title += f", listing count accuracy {res['count_accuracy']:.3f}"
    if res["errors"]:
        title += f", {res['errors']} texts without an answer"
    table = []
    for field in res["fields"]:
        t = res["tallies"].get(field)
        if t is None or (not t.gold and not t.pred):
            continue
        p, r, f = t.prf()
        table.append((field, p, r, f, t.gold, t.pred))
    table += per_class(res["type_conf"])
    if markdown:
        lines.append(f"**{title}**\n")
        lines.append("| field | precision | recall | F1 | support | predicted |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for field, p, r, f, g, n in table:
            lines.append(f"| {field} | {p:.3f} | {r:.3f} | {f:.3f} | {g} | {n} |")
    else:
        lines.append(title)
        lines.append(f"  {'field':<18}{'prec':>7}{'recall':>8}{'F1':>7}{'support':>9}{'pred':>7}")
        for field, p, r, f, g, n in table:
            lines.append(f"  {field:<18}{p:>7.3f}{r:>8.3f}{f:>7.3f}{g:>9}{n:>7}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="Score `inbox extract` on the labelled listing sets.")
    ap.add_argument("--inbox", required=True, help="path of the inbox binary")
    ap.add_argument("--set", default="whatsapp", choices=["whatsapp", "chrono24", "reddit", "all"])
    ap.add_argument("--show-misses", type=int, default=0, metavar="N", help="list the N worst misses per set")
    ap.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    names = ["whatsapp", "chrono24", "reddit"] if args.set == "all" else [args.set]
    summary = {}
    for name in names:
        rows = load(name)
        outputs = run_extract(args.inbox, rows)
        res = evaluate(name, rows, outputs)
        print(report(res, args.markdown))
        print()
        summary[name] = {
            "n": res["n"], "type_accuracy": res["type_accuracy"], "listing_count_accuracy": res["count_accuracy"],
            "fields": {f: dict(zip(["precision", "recall", "f1"], t.prf()), support=t.gold, predicted=t.pred)
                       for f, t in res["tallies"].items()},
        }
        if args.show_misses:
            print(f"worst misses ({name}):")
            for n, rid, text, problems in res["misses"][:args.show_misses]:
                print(f"- {rid} ({n}): {text[:140]!r}".replace("\n", " "))
                for p in problems:
                    print(f"    {p}")
            print()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
