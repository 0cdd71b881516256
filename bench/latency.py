"""Median and tail latency of the inbox's two hottest reads, over loopback with keep-alive.

Usage: latency.py BASE_URL TOKEN ACCOUNT_ID CONVERSATIONS [REQUESTS]
Times are measured by the client around each request, so they include loopback and HTTP parsing: an upper
bound on the server-side time.
"""
import http.client
import random
import statistics
import sys
import time
import urllib.parse

base, token, account, conversations = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
requests = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port)
headers = {"Authorization": f"Bearer {token}"}


def timed(path):
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
    return elapsed * 1000


def report(name, samples):
    samples.sort()
    p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    print(f"{name}: n={len(samples)} median={statistics.median(samples):.2f} ms "
          f"p95={p(0.95):.2f} ms p99={p(0.99):.2f} ms max={samples[-1]:.2f} ms")


random.seed(7)
for _ in range(50):  # warm-up: connection, prepared statements, caches
    timed(f"/api/v1/conversations?account={account}&limit=50")
inbox = [timed(f"/api/v1/conversations?account={account}&limit=50") for _ in range(requests)]
report("first inbox page (50 conversations of one account)", inbox)
messages = []
for _ in range(requests):
    c = random.randrange(conversations)
    messages.append(timed(f"/api/v1/conversations/{account}-4477{c:08d}/messages?limit=50"))
report("first message page (50 messages of a random conversation)", messages)
