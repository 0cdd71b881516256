#!/usr/bin/env python3
"""Authentication benchmark: sign-in latency, and the latency and rate of one API read
(`GET /api/v1/conversations?limit=50`, 50 conversations on two accounts) for each kind of caller: the
operator token, a session, an API token, and a session of a user who sees one of the two accounts.

Usage: bench/auth.py <inbox-url> <operator-token> <app-secret> <requests per kind> <threads>
"""
import hashlib
import hmac
import json
import statistics
import sys
import threading
import time
import urllib.request

inbox, operator, app_secret, requests, threads = sys.argv[1:6]
requests, threads = int(requests), int(threads)
PASSWORD = "a long enough passphrase"


def call(method, path, body=None, token=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    h = {"content-type": "application/json", **(headers or {})}
    if token:
        h["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(inbox + path, data=data, headers=h, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def webhook(account, customer, n):
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "1", "phone_number_id": account},
            "contacts": [{"wa_id": customer, "profile": {"name": f"Customer {n}"}}],
            "messages": [{"from": customer, "id": f"wamid.bench.{account}.{n}", "timestamp": "1700000000",
                          "type": "text", "text": {"body": f"hello {n}"}}]}}]}]}).encode()
    signature = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(inbox + "/webhook/whatsapp", data=body, method="POST",
                                     headers={"content-type": "application/json",
                                              "x-hub-signature-256": signature})
    urllib.request.urlopen(request, timeout=30).read()


for n in range(50):
    webhook("1122334455667" if n % 2 else "2233445566778", f"1555000{n:04d}", n)

call("POST", "/api/v1/users", {"email": "agent@example.com", "password": PASSWORD,
                               "roles": [{"role": "agent"}]}, operator)
call("POST", "/api/v1/users", {"email": "scoped@example.com", "password": PASSWORD,
                               "roles": [{"role": "agent", "account": "2233445566778"}]}, operator)

sign_ins = []
for _ in range(20):
    started = time.perf_counter()
    _, session = call("POST", "/api/v1/auth/sign-in", {"email": "agent@example.com", "password": PASSWORD})
    sign_ins.append((time.perf_counter() - started) * 1000)
_, scoped = call("POST", "/api/v1/auth/sign-in", {"email": "scoped@example.com", "password": PASSWORD})
_, created = call("POST", "/api/v1/api-tokens", {"name": "bench", "permissions": ["conversations.view"]},
                  session["token"])
time.sleep(1)
print(f"sign-in (argon2id, sequential, 20): median {statistics.median(sign_ins):.1f} ms, "
      f"max {max(sign_ins):.1f} ms")


def measure(name, token):
    latencies, lock = [], threading.Lock()
    per_thread = requests // threads

    def worker():
        mine = []
        for _ in range(per_thread):
            started = time.perf_counter()
            status, body = call("GET", "/api/v1/conversations?limit=50", token=token)
            mine.append((time.perf_counter() - started) * 1000)
            assert status == 200, body
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    _, page = call("GET", "/api/v1/conversations?limit=50", token=token)
    print(f"{name:>16}: {len(latencies) / elapsed:7.0f} req/s, median {statistics.median(latencies):6.1f} ms, "
          f"p99 {p99:6.1f} ms, {len(page['conversations'])} conversations seen")


for name, token in [("operator token", operator), ("session", session["token"]),
                    ("API token", created["token"]), ("scoped session", scoped["token"]),
                    ("operator again", operator)]:
    measure(name, token)
