"""Offer throughput of the offline Allegro emulator (not a test).

    .venv/bin/python bench/emulator_offers.py [--parallel-offers 400] [--bulk 10000] [--latency-offers 300]

Starts its own emulator on a free port with a temporary state file, gets a seller token through the OAuth
flow (consent form + code exchange with PKCE), and measures:

- sequential creates: server time per `POST /sale/product-offers` (from the emulator's request log)
- parallel creates: creates/s with 8 client threads (latency 0)
- latency creates: creates/s with 10 client threads and `latency_ms=100` (the mass-listing benchmark's setting)
- bulk setup: `POST /_emulator/offers/bulk` of 10,000 active offers
- commands: server time of a 1,000-offer price / quantity / publication command (tasks run inside the PUT)
- listing: server time of a `GET /sale/offers?limit=1000` page (10 pages over the 10,000 offers)

Prints a table; the last line is one JSON object with the figures and "pass".
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from allegro_emulator.control_client import ControlClient  # noqa: E402 — after ROOT is importable

PUBLIC = "application/vnd.allegro.public.v1+json"
CLIENT = ("demo-client", "demo-secret")
REDIRECT = "http://127.0.0.1:8000/allegro/oauth/callback/"
TARGETS = {
    "sequential_create_ms": ("<=", 8.0),
    "parallel_creates_per_s": (">=", 60.0),
    "latency_creates_per_s": (">=", 45.0),
    "command_ms": ("<=", 300.0),
    "listing_page_ms": ("<=", 300.0),
}


def offer_body(i: int, status: str = "ACTIVE") -> dict:
    """A full offer in Aparaty cyfrowe (the real 39-parameter category) with a description and GPSR data."""
    return {
        "name": f"Aparat cyfrowy Testowy X{i} nowy",
        "category": {"id": "257933"},
        "productSet": [
            {
                "product": {"id": "5901234123457", "idType": "GTIN"},
                "responsibleProducer": {"type": "NAME", "name": "Producent Sp. z o.o."},
                "safetyInformation": {"type": "TEXT", "description": "Bezpieczny w użyciu."},
            }
        ],
        "parameters": [{"id": "11323", "valuesIds": ["11323_1"]}],
        "sellingMode": {"format": "BUY_NOW", "price": {"amount": f"{100 + i % 900}.99", "currency": "PLN"}},
        "stock": {"available": 5 + i % 10, "unit": "UNIT"},
        "publication": {"status": status},
        "location": {"countryCode": "PL", "province": "WIELKOPOLSKIE", "city": "Poznań", "postCode": "60-166"},
        "images": ["https://cdn.example.pl/a.jpg", "https://cdn.example.pl/b.jpg"],
        "description": {
            "sections": [
                {"items": [{"type": "TEXT", "content": "<h1>Aparat</h1><p>Opis <b>pogrubiony</b> aparatu.</p>"}]},
                {
                    "items": [
                        {"type": "IMAGE", "url": "https://cdn.example.pl/b.jpg"},
                        {"type": "TEXT", "content": "<ul><li>matryca</li><li>obiektyw</li></ul>"},
                    ]
                },
            ]
        },
        "external": {"id": f"SKU-{i}"},
    }


class Client:
    """One keep-alive HTTP/1.1 connection (one per thread)."""

    def __init__(self, port: int, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.token = token

    def call(self, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, dict, bytes]:
        hdrs = {"Accept": PUBLIC, **(headers or {})}
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", PUBLIC)
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        raw = resp.read()
        return resp.status, dict(resp.getheaders()), raw

    def json(self, method: str, path: str, body=None, expect: tuple[int, ...] = (200, 201)) -> dict:
        status, _, raw = self.call(method, path, body)
        if status not in expect:
            raise RuntimeError(f"{method} {path} → {status}: {raw[:500]!r}")
        return json.loads(raw) if raw else {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emulator(state: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "allegro_emulator", "--port", str(port), "--state", str(state)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"emulator exited: {proc.stderr.read().decode()[-2000:]}")
        if control(port).healthy():
            return proc, port
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("emulator did not become healthy")


def user_token(port: int, login: str = "demo-seller") -> str:
    """Authorization code + PKCE through the consent form, then the code exchange."""
    c = Client(port)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    form = urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT[0],
            "redirect_uri": REDIRECT,
            "state": "bench",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "login": login,
            "decision": "allow",
        }
    ).encode()
    status, headers, raw = c.call(
        "POST", "/auth/oauth/authorize", form, {"Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"}
    )
    if status != 302:
        raise RuntimeError(f"authorize → {status}: {raw[:300]!r}")
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    basic = base64.b64encode(f"{CLIENT[0]}:{CLIENT[1]}".encode()).decode()
    query = urlencode(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    )
    status, _, raw = c.call("POST", f"/auth/oauth/token?{query}", b"", {"Authorization": f"Basic {basic}"})
    if status != 200:
        raise RuntimeError(f"token → {status}: {raw[:300]!r}")
    return json.loads(raw)["access_token"]


def control(port: int) -> ControlClient:
    """The emulator's control routes (bulk setup and the request log can take a while: long timeout)."""
    return ControlClient(f"http://127.0.0.1:{port}", timeout=120)


def server_ms(ctl: ControlClient, since: int, route: str) -> list[float]:
    """Server-side durations (ms) of logged requests to `route` after log sequence `since`."""
    entries = ctl.get(f"requests?since={since}")["requests"]
    return [e["duration_ms"] for e in entries if e["route"] == route]


_seen_seq = 0


def last_seq(ctl: ControlClient) -> int:
    """The request log's latest sequence number (read incrementally; the log keeps 20,000 entries)."""
    global _seen_seq
    _seen_seq = ctl.get(f"requests?since={_seen_seq}")["last"]
    return _seen_seq


class FigureLog(dict):
    """A dict that reports each figure on stderr as soon as it is measured."""

    def __setitem__(self, key, value) -> None:
        print(f"  {key} = {value}", file=sys.stderr, flush=True)
        super().__setitem__(key, value)


def run_parallel(port: int, token: str, threads: int, total: int, start_index: int) -> float:
    """`total` creates spread over `threads` clients; creates per second of wall time."""
    counter = iter(range(start_index, start_index + total))
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        c = Client(port, token)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            status, _, raw = c.call("POST", "/sale/product-offers", offer_body(i))
            if status != 201:
                failures.append(f"{status}: {raw[:200]!r}")

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} creates failed, e.g. {failures[0]}")
    return total / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequential", type=int, default=100, help="sequential creates")
    parser.add_argument("--parallel-offers", type=int, default=400, help="creates with 8 threads")
    parser.add_argument("--latency-offers", type=int, default=300, help="creates with 10 threads, latency 100 ms")
    parser.add_argument("--bulk", type=int, default=10_000, help="offers created by the bulk control endpoint")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="emulator-bench-") as tmp:
        proc, port = start_emulator(Path(tmp) / "state.sqlite3")
        try:
            return bench(port, args)
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


def bench(port: int, args) -> int:
    ctl = control(port)
    ctl.reset()
    ctl.set_settings(latency_ms=0, command_task_seconds=0)
    token = user_token(port)
    api = Client(port, token)
    figures: dict[str, float | None] = FigureLog()
    route = "POST /sale/product-offers"

    # sequential
    for i in range(10):  # warm-up (imports, caches, connections)
        api.json("POST", "/sale/product-offers", offer_body(i))
    since = last_seq(ctl)
    started = time.perf_counter()
    for i in range(args.sequential):
        api.json("POST", "/sale/product-offers", offer_body(i), expect=(201,))
    wall = (time.perf_counter() - started) * 1000 / args.sequential
    durations = server_ms(ctl, since, route)
    figures["sequential_create_ms"] = round(statistics.median(durations), 2)
    figures["sequential_create_wall_ms"] = round(wall, 2)

    # parallel, latency 0
    figures["parallel_creates_per_s"] = round(run_parallel(port, token, 8, args.parallel_offers, 10_000), 1)

    # parallel, latency 100 ms
    if args.latency_offers:
        ctl.set_settings(latency_ms=100)
        figures["latency_creates_per_s"] = round(run_parallel(port, token, 10, args.latency_offers, 20_000), 1)
        ctl.set_settings(latency_ms=0)

    # bulk setup of active offers in a second seller's account (clean listing pages)
    ctl.add_seller("bench-seller")
    seller = Client(port, user_token(port, "bench-seller"))
    offers_body = [offer_body(i) for i in range(args.bulk)]
    started = time.perf_counter()
    created = ctl.post("offers/bulk", {"seller_login": "bench-seller", "offers": offers_body, "validate": False})
    figures["bulk_setup_s"] = round(time.perf_counter() - started, 2)
    offer_ids: list[str] = created["ids"]
    assert len(offer_ids) == args.bulk, len(offer_ids)

    # commands over 1,000 offers (tasks run inside the PUT with command_task_seconds 0)
    chunk = offer_ids[:1000]
    criteria = [{"type": "CONTAINS_OFFERS", "offers": [{"id": oid} for oid in chunk]}]
    commands = {
        "price": (
            "offer-price-change-commands",
            {"modification": {"type": "FIXED_PRICE", "price": {"amount": "123.45", "currency": "PLN"}}},
        ),
        "quantity": ("offer-quantity-change-commands", {"modification": {"changeType": "FIXED", "value": 7}}),
        "publication_end": ("offer-publication-commands", {"publication": {"action": "END"}}),
        "publication_activate": ("offer-publication-commands", {"publication": {"action": "ACTIVATE"}}),
    }
    command_ms: dict[str, float] = {}
    for name, (slug, extra) in commands.items():
        since = last_seq(ctl)
        report = seller.json("PUT", f"/sale/{slug}/{uuid.uuid4()}", {**extra, "offerCriteria": criteria})
        if report["taskCount"]["success"] != 1000:
            raise RuntimeError(f"{name}: {report}")
        command_ms[name] = max(server_ms(ctl, since, f"PUT /sale/{slug}/{{commandId}}"))
    figures["command_ms"] = max(command_ms.values())

    # listing pages of 1,000
    since = last_seq(ctl)
    seen = 0
    for page in range(args.bulk // 1000):
        body = seller.json("GET", f"/sale/offers?limit=1000&offset={page * 1000}")
        seen += body["count"]
    if seen != args.bulk:
        raise RuntimeError(f"listing returned {seen} offers")
    pages = server_ms(ctl, since, "GET /sale/offers")
    figures["listing_page_ms"] = max(pages)
    figures["listing_page_median_ms"] = round(statistics.median(pages), 2)

    rows = [
        ("sequential create (server, median)", f"{figures['sequential_create_ms']} ms"),
        ("sequential create (client wall)", f"{figures['sequential_create_wall_ms']} ms"),
        ("parallel creates, 8 threads, latency 0", f"{figures['parallel_creates_per_s']} /s"),
        ("parallel creates, 10 threads, latency 100 ms", f"{figures.get('latency_creates_per_s')} /s"),
        (f"bulk setup of {args.bulk} active offers", f"{figures['bulk_setup_s']} s"),
        *((f"1,000-offer {name} command (server)", f"{ms} ms") for name, ms in command_ms.items()),
        ("1,000-offer listing page (server, max)", f"{figures['listing_page_ms']} ms"),
        ("1,000-offer listing page (server, median)", f"{figures['listing_page_median_ms']} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value:>12}")
    ok = True
    for key, (op, target) in TARGETS.items():
        value = figures.get(key)
        if value is None:
            continue
        ok &= value <= target if op == "<=" else value >= target
    print(json.dumps({**figures, "commands": command_ms, "pass": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
