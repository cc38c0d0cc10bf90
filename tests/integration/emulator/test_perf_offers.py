"""Offer throughput: creates, the bulk setup endpoint, 1,000-offer commands and 1,000-offer listing pages.

Thresholds are loose (shared CI machines); bench/emulator_offers.py measures the real figures."""

from __future__ import annotations

import statistics
import threading
import time
import uuid

import pytest

from tests.integration.conftest import PUBLIC

from .test_offers import offer_body

H = {"Content-Type": PUBLIC}


def _server_ms(emulator, since: int, route: str) -> list[float]:
    return [e["duration_ms"] for e in emulator.requests(since) if e["route"] == route]


def _last(emulator) -> int:
    entries = emulator.requests(0)
    return entries[-1]["seq"] if entries else 0


def test_sequential_and_parallel_creates_are_fast(emulator):
    token = emulator.user_token()["access_token"]
    api = emulator.api(token)
    api.post(emulator.url("/sale/product-offers"), json=offer_body(), headers=H)
    since = _last(emulator)
    for i in range(30):
        resp = api.post(emulator.url("/sale/product-offers"), json=offer_body(external={"id": f"S-{i}"}), headers=H)
        assert resp.status_code == 201, resp.text
    durations = _server_ms(emulator, since, "POST /sale/product-offers")
    assert len(durations) == 30 and statistics.median(durations) < 20, durations

    emulator.set_settings(latency_ms=100)
    failures: list[str] = []

    def worker(n: int) -> None:
        session = emulator.api(token)
        for i in range(n):
            resp = session.post(emulator.url("/sale/product-offers"), json=offer_body(), headers=H)
            if resp.status_code != 201:
                failures.append(resp.text)

    threads = [threading.Thread(target=worker, args=(5,)) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert not failures, failures[0]
    # 40 creates with 100 ms latency each over 8 clients: ~0.5 s when the sleeps overlap (4 s if serialised)
    assert elapsed < 2.5, f"40 parallel creates with latency took {elapsed:.2f} s"


@pytest.mark.slow
def test_bulk_setup_commands_and_listing_pages_over_many_offers(emulator):
    emulator.set_settings(command_task_seconds=0)
    n = 3000
    started = time.monotonic()
    resp = emulator.http.post(
        emulator.url("/_emulator/offers/bulk"),
        json={
            "seller_login": "demo-seller",
            "offers": [offer_body(external={"id": f"B-{i}"}) for i in range(n)],
            "validate": False,
        },
        timeout=120,
    )
    assert resp.status_code == 201, resp.text[:500]
    ids = resp.json()["ids"]
    assert len(ids) == n == len(set(ids)) and time.monotonic() - started < 15

    api = emulator.api(emulator.user_token()["access_token"])
    first = api.get(emulator.url(f"/sale/product-offers/{ids[0]}")).json()
    assert first["publication"]["status"] == "ACTIVE" and first["delivery"]["shippingRates"]["id"]
    assert first["afterSalesServices"]["returnPolicy"]["id"]

    criteria = [{"type": "CONTAINS_OFFERS", "offers": [{"id": oid} for oid in ids[:1000]]}]
    since = _last(emulator)
    for slug, extra in (
        ("offer-price-change-commands", {"modification": {"type": "FIXED_PRICE", "price": {"amount": "12.34", "currency": "PLN"}}}),
        ("offer-quantity-change-commands", {"modification": {"changeType": "FIXED", "value": 3}}),
        ("offer-publication-commands", {"publication": {"action": "END"}}),
    ):  # fmt: skip
        report = api.put(
            emulator.url(f"/sale/{slug}/{uuid.uuid4()}"), json={**extra, "offerCriteria": criteria}, headers=H
        )
        assert report.status_code == 201 and report.json()["taskCount"]["success"] == 1000, report.text[:500]
    command_ms = [e["duration_ms"] for e in emulator.requests(since) if e["route"].startswith("PUT /sale/offer-")]
    assert len(command_ms) == 3 and max(command_ms) < 1500, command_ms

    since = _last(emulator)
    seen: set[str] = set()
    for page in range(3):
        body = api.get(emulator.url("/sale/offers"), params={"limit": 1000, "offset": page * 1000}).json()
        assert body["count"] == 1000 and body["totalCount"] == n
        seen |= {o["id"] for o in body["offers"]}
    assert seen == set(ids)
    pages = _server_ms(emulator, since, "GET /sale/offers")
    assert len(pages) == 3 and max(pages) < 1500, pages
    ended = api.get(emulator.url("/sale/offers"), params={"publication.status": "ENDED", "limit": 1}).json()
    assert ended["totalCount"] == 1000


def test_bulk_validates_when_asked(emulator):
    bad = offer_body(name="x" * 80)
    resp = emulator.http.post(
        emulator.url("/_emulator/offers/bulk"),
        json={"seller_login": "demo-seller", "offers": [offer_body(), bad], "validate": True},
        timeout=30,
    )
    assert resp.status_code == 422 and resp.json()["index"] == 1
    assert resp.json()["errors"][0]["path"] == "name"
    assert emulator.get("state/offers")["offers"] == []
    unknown = emulator.http.post(emulator.url("/_emulator/offers/bulk"), json={"seller_login": "nobody", "offers": []})
    assert unknown.status_code == 404
