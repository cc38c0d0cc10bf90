"""Control routes owned by the areas answer with their real handlers (control.py once registered 501
placeholders for them that could win depending on the import order)."""

from __future__ import annotations

import pytest

from allegro_emulator import app, routing

from .test_offers import offer_body

AREA_CONTROL_ROUTES = [
    ("POST", "/_emulator/purchases", "allegro_emulator.orders"),
    ("POST", "/_emulator/checkout-forms", "allegro_emulator.orders"),
    ("POST", "/_emulator/offers/{offerId}/end", "allegro_emulator.offers"),
    ("GET", "/_emulator/state/offers", "allegro_emulator.offers"),
    ("POST", "/_emulator/offers/bulk", "allegro_emulator.offers"),
]


@pytest.mark.parametrize(("method", "pattern", "module"), AREA_CONTROL_ROUTES)
def test_area_control_routes_resolve_to_the_area(method, pattern, module):
    app.load_areas()
    path = pattern.replace("{offerId}", "17000000001")
    found, _, _ = routing.resolve(method, path)
    assert found is not None and found.handler.__module__ == module
    assert sum(1 for r in routing.ROUTES if (r.method, r.pattern) == (method, pattern)) == 1


def test_registering_a_route_twice_fails():
    app.load_areas()
    before = len(routing.ROUTES)
    with pytest.raises(ValueError, match="registered twice"):
        routing.route("GET", "/_emulator/state/offers", auth=None, media=(), control=True)(lambda req: None)
    assert len(routing.ROUTES) == before


def test_area_control_routes_do_not_answer_501(emulator):
    http, url = emulator.http, emulator.url
    api = emulator.api(emulator.user_token()["access_token"])
    offer = api.post(url("/sale/product-offers"), json=offer_body(), headers={"Content-Type": api.headers["Accept"]})
    assert offer.status_code == 201, offer.text
    offer_id = offer.json()["id"]

    responses = {
        "purchases": http.post(url("/_emulator/purchases"), json={"offer_id": offer_id}, timeout=10),
        "checkout-forms": http.post(
            url("/_emulator/checkout-forms"), json={"checkout_form": {"id": "c0ffee00-0000-4000-8000-000000000001"}}
        ),
        "state/offers": http.get(url("/_emulator/state/offers"), timeout=10),
        "offers/<id>/end": http.post(url(f"/_emulator/offers/{offer_id}/end"), json={"reason": "ADMIN"}, timeout=10),
        "offers/bulk": http.post(
            url("/_emulator/offers/bulk"), json={"seller_login": "demo-seller", "offers": [offer_body()]}, timeout=10
        ),
    }
    for name, resp in responses.items():
        assert resp.status_code != 501, f"{name}: {resp.text}"
        assert resp.status_code < 300, f"{name}: {resp.status_code} {resp.text[:300]}"
    states = {o["id"]: o for o in responses["state/offers"].json()["offers"]}
    assert states[offer_id]["status"] == "ACTIVE"
    assert responses["offers/<id>/end"].json()["status"] == "ENDED"
    assert responses["offers/bulk"].json()["created"] == 1
