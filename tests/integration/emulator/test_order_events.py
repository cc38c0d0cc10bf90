"""The order journal (/order/events, /order/event-stats) and the journal fault knobs under
/_emulator/order-events/ (duplicate, drop, late insert, merge, cancellations, modification, payment)."""

from __future__ import annotations

import pytest

from tests.emulator_support import make_offer

from .test_orders import buy


@pytest.fixture
def seller_api(emulator):
    return emulator.api(emulator.user_token()["access_token"])


def events(emulator, api, **params) -> list[dict]:
    resp = api.get(emulator.url("/order/events"), params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()["events"]


def test_journal_is_ascending_with_exclusive_from_limit_and_types(emulator, seller_api):
    offer_id = make_offer(emulator, stock=50)
    made = [buy(emulator, offer_id) for _ in range(4)]
    unpaid = buy(emulator, offer_id, paid=False)
    all_events = events(emulator, seller_api)
    assert [e["id"] for e in all_events] == [i for p in made + [unpaid] for i in p["events"]]
    assert [e["id"] for e in all_events] == sorted(e["id"] for e in all_events)
    assert [e["type"] for e in all_events[:3]] == ["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"]
    assert [e["type"] for e in all_events[-2:]] == ["BOUGHT", "FILLED_IN"]

    first = all_events[0]
    form = made[0]["checkout_form"]
    assert first["order"]["seller"] == {"id": "44556677"}
    assert first["order"]["checkoutForm"] == {"id": form["id"], "revision": form["revision"]}
    assert first["order"]["buyer"] == {k: form["buyer"][k] for k in ("id", "email", "login", "guest", "preferences")}
    assert first["order"]["lineItems"][0]["offer"]["external"] == {"id": "SKU-1"}
    assert first["order"]["marketplace"] == {"id": "allegro-pl"}

    page = events(emulator, seller_api, limit=5)
    assert page == all_events[:5]
    after = events(emulator, seller_api, **{"from": page[-1]["id"], "limit": 5})
    assert after == all_events[5:10]
    assert events(emulator, seller_api, **{"from": all_events[-1]["id"]}) == []
    ready = events(emulator, seller_api, type="READY_FOR_PROCESSING")
    assert len(ready) == 4 and {e["type"] for e in ready} == {"READY_FOR_PROCESSING"}
    two = events(emulator, seller_api, type=["BOUGHT", "FILLED_IN"])
    assert len(two) == 10

    for bad in ({"limit": 1001}, {"limit": 0}, {"type": "PAID"}, {"from": "abc"}):
        assert seller_api.get(emulator.url("/order/events"), params=bad).status_code == 422, bad

    emulator.add_seller("drugi")
    other = emulator.api(emulator.user_token(login="drugi")["access_token"])
    assert events(emulator, other) == []


def test_event_stats_and_sixty_day_retention(emulator, seller_api):
    stats = seller_api.get(emulator.url("/order/event-stats")).json()
    assert stats["latestEvent"]["id"] == "0"
    offer_id = make_offer(emulator)
    made = buy(emulator, offer_id)
    stats = seller_api.get(emulator.url("/order/event-stats")).json()
    assert stats["latestEvent"]["id"] == made["events"][-1]
    assert stats["latestEvent"]["occurredAt"].endswith("Z")

    emulator.clock(59 * 86400)
    seller_api = emulator.api(emulator.user_token()["access_token"])  # the old token expired meanwhile
    assert len(events(emulator, seller_api)) == 3
    emulator.clock(2 * 86400)
    seller_api = emulator.api(emulator.user_token()["access_token"])
    assert events(emulator, seller_api) == []
    fresh = buy(emulator, offer_id)
    assert [e["id"] for e in events(emulator, seller_api)] == fresh["events"]
    # the old form is still listed: the reconciliation sweep can find what the journal lost
    listed = seller_api.get(emulator.url("/order/checkout-forms")).json()
    assert listed["totalCount"] == 2


def test_duplicate_and_drop(emulator, seller_api):
    offer_id = make_offer(emulator)
    made = buy(emulator, offer_id)
    form_id = made["checkout_form_id"]
    dup = emulator.post("order-events/duplicate", {"checkout_form_id": form_id, "times": 2})["events"]
    ready = events(emulator, seller_api, type="READY_FOR_PROCESSING")
    assert [e["id"] for e in ready] == [made["events"][2], *dup]
    assert ready[0]["order"] == ready[1]["order"] == ready[2]["order"]
    by_id = emulator.post("order-events/duplicate", {"event_id": made["events"][0]})["events"]
    assert events(emulator, seller_api)[-1]["id"] == by_id[0]

    other = buy(emulator, offer_id)
    dropped = emulator.post(
        "order-events/drop", {"checkout_form_id": other["checkout_form_id"], "type": "READY_FOR_PROCESSING"}
    )
    assert dropped["dropped"] == [other["events"][2]]
    journal = [e["id"] for e in events(emulator, seller_api, limit=1000)]
    assert other["events"][2] not in journal and other["events"][1] in journal
    listed = seller_api.get(emulator.url("/order/checkout-forms"), params={"status": "READY_FOR_PROCESSING"}).json()
    assert other["checkout_form_id"] in [f["id"] for f in listed["checkoutForms"]]
    emulator.post("order-events/drop", {"event_id": other["events"][0]})
    assert other["events"][0] not in [e["id"] for e in events(emulator, seller_api, limit=1000)]


def test_late_insert_lands_below_the_head(emulator, seller_api):
    offer_id = make_offer(emulator)
    first = buy(emulator, offer_id)
    second = buy(emulator, offer_id)
    head = seller_api.get(emulator.url("/order/event-stats")).json()["latestEvent"]["id"]
    assert head == second["events"][-1]

    late = emulator.post("order-events/late", {"checkout_form_id": first["checkout_form_id"]})
    (late_id,) = late["events"]
    assert late_id < head and late["head"] == head
    assert events(emulator, seller_api, **{"from": head}) == []  # a cursor at the head never sees it
    from_start = [e["id"] for e in events(emulator, seller_api)]
    assert late_id in from_start and from_start == sorted(from_start)

    between = emulator.post(
        "order-events/late", {"checkout_form_id": second["checkout_form_id"], "before_id": second["events"][1]}
    )["events"][0]
    assert between < second["events"][1] and between not in first["events"] + second["events"] + [late_id]
    explicit = emulator.post(
        "order-events/late",
        {"checkout_form_id": second["checkout_form_id"], "id": str(int(head) - 10**7), "type": "FILLED_IN"},
    )["events"][0]
    assert explicit == str(int(head) - 10**7)
    taken = emulator.http.post(
        emulator.url("/_emulator/order-events/late"), json={"checkout_form_id": first["checkout_form_id"], "id": head}
    )
    assert taken.status_code == 409
    assert seller_api.get(emulator.url("/order/event-stats")).json()["latestEvent"]["id"] == head


def test_merge_cancel_modify_and_pay(emulator, seller_api):
    offer_id = make_offer(emulator, stock=20)
    a = buy(emulator, offer_id, paid=False, buyer={"login": "kupujacy"})
    b = buy(emulator, offer_id, quantity=2, paid=False, buyer={"login": "kupujacy"})
    merged = emulator.post("order-events/merge", {"checkout_form_ids": [a["checkout_form_id"], b["checkout_form_id"]]})
    new = seller_api.get(emulator.url(f"/order/checkout-forms/{merged['checkout_form_id']}")).json()
    old_lines = a["checkout_form"]["lineItems"] + b["checkout_form"]["lineItems"]
    assert [li["id"] for li in new["lineItems"]] == [li["id"] for li in old_lines]
    assert new["status"] == "READY_FOR_PROCESSING" and new["payment"]["paidAmount"] == new["summary"]["totalToPay"]
    for old in (a, b):
        form = seller_api.get(emulator.url(f"/order/checkout-forms/{old['checkout_form_id']}")).json()
        assert form["status"] == "CANCELLED" and form["revision"] != old["checkout_form"]["revision"]
    tail = events(emulator, seller_api)[-5:]
    assert [(e["type"], e["order"]["checkoutForm"]["id"]) for e in tail] == [
        ("BUYER_CANCELLED", a["checkout_form_id"]),
        ("BUYER_CANCELLED", b["checkout_form_id"]),
        ("BOUGHT", merged["checkout_form_id"]),
        ("FILLED_IN", merged["checkout_form_id"]),
        ("READY_FOR_PROCESSING", merged["checkout_form_id"]),
    ]

    c = buy(emulator, offer_id, paid=False)
    cancel = emulator.post("order-events/cancel", {"checkout_form_id": c["checkout_form_id"]})
    auto = buy(emulator, offer_id, paid=False)
    emulator.post("order-events/cancel", {"checkout_form_id": auto["checkout_form_id"], "type": "AUTO_CANCELLED"})
    cancelled = seller_api.get(emulator.url("/order/checkout-forms"), params={"status": "CANCELLED"}).json()
    assert {f["id"] for f in cancelled["checkoutForms"]} == {
        a["checkout_form_id"],
        b["checkout_form_id"],
        c["checkout_form_id"],
        auto["checkout_form_id"],
    }
    last_two = events(emulator, seller_api, type=["BUYER_CANCELLED", "AUTO_CANCELLED"])[-2:]
    assert [e["type"] for e in last_two] == ["BUYER_CANCELLED", "AUTO_CANCELLED"]
    assert last_two[0]["order"]["checkoutForm"]["revision"] == cancel["revision"]

    d = buy(emulator, offer_id)
    modified = emulator.post(
        "order-events/modify",
        {"checkout_form_id": d["checkout_form_id"], "address": {"street": "ul. Zmieniona 5", "city": "Gdańsk"}},
    )
    form = seller_api.get(emulator.url(f"/order/checkout-forms/{d['checkout_form_id']}")).json()
    assert form["delivery"]["address"]["street"] == "ul. Zmieniona 5" and form["delivery"]["address"]["modifiedAt"]
    assert form["revision"] == modified["revision"] != d["checkout_form"]["revision"]
    assert events(emulator, seller_api)[-1]["type"] == "BUYER_MODIFIED"
    generated = emulator.post("order-events/modify", {"checkout_form_id": d["checkout_form_id"]})
    assert generated["address"]["street"] != "ul. Zmieniona 5" or generated["address"]["city"] != "Gdańsk"

    e = buy(emulator, offer_id, paid=False)
    paid = emulator.post("order-events/pay", {"checkout_form_id": e["checkout_form_id"]})
    form = seller_api.get(emulator.url(f"/order/checkout-forms/{e['checkout_form_id']}")).json()
    assert form["status"] == "READY_FOR_PROCESSING" and form["payment"]["paidAmount"] == form["summary"]["totalToPay"]
    assert [ev["type"] for ev in events(emulator, seller_api)[-1:]] == ["READY_FOR_PROCESSING"]
    assert paid["events"] == [events(emulator, seller_api)[-1]["id"]]

    bought_only = buy(emulator, offer_id, filled_in=False)
    assert bought_only["checkout_form"]["status"] == "BOUGHT" and len(bought_only["events"]) == 1
    emulator.post("order-events/pay", {"checkout_form_id": bought_only["checkout_form_id"]})
    assert [ev["type"] for ev in events(emulator, seller_api)[-2:]] == ["FILLED_IN", "READY_FOR_PROCESSING"]

    emit = emulator.post(
        "order-events/emit", {"checkout_form_id": d["checkout_form_id"], "type": "READY_FOR_PROCESSING"}
    )
    assert events(emulator, seller_api)[-1]["id"] == emit["events"][0]
