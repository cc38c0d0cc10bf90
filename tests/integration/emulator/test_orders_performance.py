"""Bulk purchases and listing stay fast (the order-import benchmark creates 5,000 purchases)."""

from __future__ import annotations

import random
import time

import pytest

from tests.emulator_support import make_offer


@pytest.mark.slow
def test_bulk_purchases_and_paging_are_fast(emulator):
    offers = [make_offer(emulator, stock=10_000, external_id=f"SKU-{i}") for i in range(30)]
    rnd = random.Random(7)
    purchases = []
    for _ in range(1000):
        lines = [{"offer_id": o, "quantity": rnd.randint(1, 3)} for o in rnd.sample(offers, rnd.randint(1, 3))]
        purchase = {"line_items": lines}
        if rnd.random() < 0.3:
            purchase["buyer"] = {"login": f"staly_{rnd.randint(1, 50)}"}
        purchases.append(purchase)
    started = time.monotonic()
    for i in range(0, len(purchases), 250):
        resp = emulator.http.post(
            emulator.url("/_emulator/purchases/bulk"), json={"purchases": purchases[i : i + 250]}, timeout=60
        )
        assert resp.status_code == 201 and resp.json()["failed"] == 0, resp.text[:500]
    created = time.monotonic() - started
    assert created < 10, f"1000 purchases took {created:.1f} s"

    api = emulator.api(emulator.user_token()["access_token"])
    seen, offset = set(), 0
    started = time.monotonic()
    while True:
        body = api.get(emulator.url("/order/checkout-forms"), params={"limit": 100, "offset": offset}).json()
        seen |= {f["id"] for f in body["checkoutForms"]}
        offset += 100
        if offset >= body["totalCount"]:
            break
    assert len(seen) == 1000
    assert time.monotonic() - started < 15  # contract-checked pages; the raw listing is ~10 ms per page

    returning = {p["buyer"]["login"] for p in purchases if "buyer" in p}
    logins = api.get(emulator.url("/order/checkout-forms"), params={"buyer.login": sorted(returning)[0]}).json()
    assert logins["totalCount"] >= 1
