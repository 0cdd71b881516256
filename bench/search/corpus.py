#!/usr/bin/env python3
"""The retrieval corpus, built in memory at run time: nothing of ../shared/data is copied here.

Every message has a stable id, which is also the WhatsApp message id (`wamid`) it is posted with, so a search
hit's `message_id` is the corpus id:

- `rwx-<post id>`: an r/Watchexchange post title (the reddit post id, first title seen for it across the five
  `posts@*.csv` files), its `[WTS]`-style tags stripped, as bench/listings/build_shared.py builds it;
- `c24-<row id>`: a Chrono24 listing's free text (`ext_name` of row `id` in chrono24.db);
- `wa-NNN`: bench/listings/whatsapp_dev.jsonl;
- `sq-NNN`: bench/search/messages.jsonl, written for this set.

`python3 corpus.py --grep REGEX` prints the messages whose accent-folded, lower-cased text matches REGEX
(the tool used to find candidates while labelling; see README.md).
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# No __pycache__ left in bench/listings, which this only reads.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "listings"))
import build_shared  # noqa: E402  (reads WATCH_DATA in place)


def _jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load():
    """[(id, source, text)] in a fixed order: the shared data first, then the WhatsApp-style messages."""
    rows = [(r["id"], "reddit", r["text"]) for r in build_shared.reddit()]
    rows += [(r["id"], "chrono24", r["text"]) for r in build_shared.chrono24()]
    rows += [(r["id"], "whatsapp_dev", r["text"])
             for r in _jsonl(os.path.join(HERE, "..", "listings", "whatsapp_dev.jsonl"))]
    rows += [(r["id"], "own", r["text"]) for r in _jsonl(os.path.join(HERE, "messages.jsonl"))]
    ids = [r[0] for r in rows]
    if len(ids) != len(set(ids)):
        raise SystemExit("corpus ids are not unique")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grep", help="print the messages whose folded text matches this regular expression")
    args = ap.parse_args()
    rows = load()
    if args.grep:
        rx = re.compile(args.grep)
        for mid, _, text in rows:
            if rx.search(build_shared.fold(text)):
                print(f"{mid}\t{text[:160]!r}")
        return
    from collections import Counter
    print(len(rows), "messages:", dict(Counter(s for _, s, _ in rows)))


if __name__ == "__main__":
    main()
