"""Batch offer commands: idempotency, limits, async tasks, out-of-order completion, bulk modification."""

import uuid

import pytest

from tests.integration.conftest import BETA, PUBLIC
from tests.integration.emulator.test_offers import create

H = {"Content-Type": PUBLIC}


@pytest.fixture
def api(emulator):
    emulator.set_settings(command_task_seconds=0)
    return emulator.api(emulator.user_token()["access_token"])


def crit(*ids):
    return [{"type": "CONTAINS_OFFERS", "offers": [{"id": i} for i in ids]}]


def put(emulator, api, kind, body, cid=None):
    return api.put(emulator.url(f"/sale/{kind}/{cid or uuid.uuid4()}"), json=body, headers=H)


def test_publication_idempotent_and_relist_keeps_id(emulator, api):
    offer = create(emulator, api)
    cid = str(uuid.uuid4())
    body = {"publication": {"action": "END"}, "offerCriteria": crit(offer["id"], "999")}
    first = put(emulator, api, "offer-publication-commands", body, cid)
    assert first.status_code == 201
    again = put(emulator, api, "offer-publication-commands", body, cid)
    assert again.status_code == 201 and again.json() == first.json()
    assert (
        put(
            emulator, api, "offer-publication-commands", {**body, "publication": {"action": "ACTIVATE"}}, cid
        ).status_code
        == 409
    )
    report = api.get(emulator.url(f"/sale/offer-publication-commands/{cid}")).json()
    assert report["taskCount"] == {"total": 2, "success": 1, "failed": 1} and report["completedAt"]
    tasks = api.get(emulator.url(f"/sale/offer-publication-commands/{cid}/tasks?limit=1000")).json()["tasks"]
    assert [t["status"] for t in tasks] == ["SUCCESS", "FAIL"] and tasks[1]["errors"][0][
        "code"
    ] == "OfferNotFoundException"
    ended = api.get(emulator.url(f"/sale/product-offers/{offer['id']}")).json()["publication"]
    assert ended["status"] == "ENDED" and ended["endedBy"] == "USER"
    relist = put(
        emulator,
        api,
        "offer-publication-commands",
        {"publication": {"action": "ACTIVATE"}, "offerCriteria": crit(offer["id"])},
    )
    assert relist.json()["taskCount"]["success"] == 1
    assert api.get(emulator.url(f"/sale/product-offers/{offer['id']}")).json()["publication"]["status"] == "ACTIVE"
    assert emulator.stats()["commands_run"] == 2


def test_too_many_offers_and_bad_bodies(emulator, api):
    ids = [str(17000000000 + i) for i in range(1001)]
    resp = put(
        emulator,
        api,
        "offer-quantity-change-commands",
        {"modification": {"changeType": "FIXED", "value": 1}, "offerCriteria": crit(*ids)},
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["path"] == "offerCriteria[0].offers"
    resp = put(
        emulator,
        api,
        "offer-quantity-change-commands",
        {"modification": {"changeType": "FIXED", "value": 0}, "offerCriteria": crit("1")},
    )
    assert resp.status_code == 422


def test_price_quantity_modification_and_activate_needs_stock(emulator, api):
    offer = create(emulator, api)
    oid = offer["id"]
    put(
        emulator,
        api,
        "offer-price-change-commands",
        {"modification": {"type": "INCREASE_PERCENTAGE", "percentage": "10"}, "offerCriteria": crit(oid)},
    )
    assert (
        api.get(emulator.url(f"/sale/product-offers/{oid}/parts?include=price")).json()["sellingMode"]["price"][
            "amount"
        ]
        == "219.99"
    )
    put(
        emulator,
        api,
        "offer-quantity-change-commands",
        {"modification": {"changeType": "GAIN", "value": -5}, "offerCriteria": crit(oid)},
    )
    pub = api.get(emulator.url(f"/sale/product-offers/{oid}")).json()["publication"]
    assert pub["status"] == "ENDED" and pub["endedBy"] == "EMPTY_STOCK"
    fail = put(
        emulator, api, "offer-publication-commands", {"publication": {"action": "ACTIVATE"}, "offerCriteria": crit(oid)}
    )
    assert fail.json()["taskCount"]["failed"] == 1
    mod = put(
        emulator,
        api,
        "offer-modification-commands",
        {"modification": {"delivery": {"handlingTime": "P3D"}}, "offerCriteria": crit(oid)},
    )
    assert mod.json()["taskCount"]["success"] == 1
    assert api.get(emulator.url(f"/sale/product-offers/{oid}")).json()["delivery"]["handlingTime"] == "P3D"


@pytest.mark.parametrize(("out_of_order", "final"), [(False, "ACTIVE"), (True, "ENDED")])
def test_tasks_async_and_out_of_order(emulator, api, out_of_order, final):
    offer = create(emulator, api)
    emulator.set_settings(command_task_seconds=30, commands_out_of_order=out_of_order)
    end = put(
        emulator,
        api,
        "offer-publication-commands",
        {"publication": {"action": "END"}, "offerCriteria": crit(offer["id"])},
    )
    act = put(
        emulator,
        api,
        "offer-publication-commands",
        {"publication": {"action": "ACTIVATE"}, "offerCriteria": crit(offer["id"])},
    )
    assert end.json()["completedAt"] is None
    tasks = api.get(emulator.url(f"/sale/offer-publication-commands/{act.json()['id']}/tasks")).json()["tasks"]
    assert tasks[0]["status"] == "NEW"
    emulator.clock(31)
    api = emulator.api(emulator.user_token()["access_token"])
    assert api.get(emulator.url(f"/sale/product-offers/{offer['id']}")).json()["publication"]["status"] == final


def test_bulk_modification(emulator, api):
    offer = create(emulator, api)
    beta = emulator.api(api.headers["Authorization"].split()[1], accept=BETA)
    cid = str(uuid.uuid4())
    body = {
        "commandId": cid,
        "modifications": [
            {
                "offerId": offer["id"],
                "prices": {"allegro-pl": {"changeType": "FIXED", "value": {"amount": "99.00", "currency": "PLN"}}},
                "stock": {"changeType": "GAIN", "value": 3},
            }
        ],
    }
    resp = beta.post(emulator.url("/sale/offer-bulk-modification-commands"), json=body, headers={"Content-Type": BETA})
    assert resp.status_code == 201 and resp.json()["taskCount"] == {"total": 2, "success": 2, "failed": 0}
    parts = api.get(emulator.url(f"/sale/product-offers/{offer['id']}/parts?include=stock&include=price")).json()
    assert parts["stock"]["available"] == 8 and parts["sellingMode"]["price"]["amount"] == "99.00"
    too_many = {
        "commandId": str(uuid.uuid4()),
        "modifications": [{"offerId": offer["id"], "stock": {"changeType": "GAIN", "value": 1}}] * 26,
    }
    assert (
        beta.post(
            emulator.url("/sale/offer-bulk-modification-commands"), json=too_many, headers={"Content-Type": BETA}
        ).status_code
        == 422
    )
    # TaskWithSubjectReport is a oneOf of two identical schemas in the spec, so it is not contract-checked here
    tasks = emulator.http.get(
        emulator.url(f"/sale/offer-bulk-modification-commands/{cid}/tasks"),
        headers={"Authorization": api.headers["Authorization"], "Accept": PUBLIC},
    ).json()["tasks"]
    assert {t["subject"]["field"] for t in tasks} == {"prices", "stock"}
