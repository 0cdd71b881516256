#!/usr/bin/env python3
"""Outbound benchmark: queues messages through the inbox API and times how fast the senders hand them to
wa-sim (the emulated Graph API), and how fast the API answers 202.

Usage: bench/outbound.py <inbox-url> <api-token> <sim-url> <conversations> <messages> [threads] [wait s]

Every conversation first gets a customer message through wa-sim (so the 24-hour window is open). Then
<messages> text messages are queued round-robin over the conversations by [threads] concurrent clients.
Reported: API 202 latency (client side) and the send rate (first queue request to the last message wa-sim
received).
"""
import json
import statistics
import sys
import threading
import time
import urllib.request

inbox, token, sim, conversations, messages = sys.argv[1:6]
conversations, messages = int(conversations), int(messages)
threads = int(sys.argv[6]) if len(sys.argv) > 6 else 8
PHONE = "1122334455667"


def post(url, body, headers=None):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


customers = [f"4477009{i:05d}" for i in range(conversations)]
for c in customers:
    post(f"{sim}/sim/customers/{c}/messages", {"name": "Bench", "text": "hello"})
time.sleep(2)  # let the inbox view catch up with the customers' messages
already = len(get(f"{sim}/sim/sent"))

latencies = []
failures = []
lock = threading.Lock()
counter = iter(range(messages))


def worker():
    while True:
        with lock:
            i = next(counter, None)
        if i is None:
            return
        conversation = f"{PHONE}-{customers[i % conversations]}"
        started = time.perf_counter()
        try:
            status, _ = post(
                f"{inbox}/api/v1/conversations/{conversation}/messages",
                {"content": {"kind": "text", "body": f"bench {i}"}},
                {"authorization": f"Bearer {token}"},
            )
        except Exception as e:  # noqa: BLE001 - counted and reported
            status = str(e)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if status != 202:
                failures.append(status)


start = time.perf_counter()
pool = [threading.Thread(target=worker) for _ in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
queued = time.perf_counter() - start
latencies.sort()
q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
print(f"queued {messages} messages over {conversations} conversations with {threads} clients in {queued:.2f} s "
      f"({messages / queued:.0f}/s); failures: {len(failures)} {failures[:3]}")
print(f"API 202 latency: median {statistics.median(latencies) * 1000:.2f} ms, p95 {q(0.95):.2f} ms, "
      f"p99 {q(0.99):.2f} ms, max {latencies[-1] * 1000:.2f} ms", flush=True)
limit = float(sys.argv[7]) if len(sys.argv) > 7 else 600
while True:
    sent = len(get(f"{sim}/sim/sent")) - already
    if sent >= messages - len(failures) or time.perf_counter() - start > limit:
        break
    time.sleep(0.05)
total = time.perf_counter() - start
print(f"sent to wa-sim: {sent} in {total:.2f} s = {sent / total:.1f} messages/s")
