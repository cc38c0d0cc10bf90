"""Offers area of the emulator: create/validate, PATCH, listing, lifecycle, events, control hooks."""

import pytest

from tests.integration.conftest import PUBLIC

CAT = "257933"  # Aparaty cyfrowe (real parameters)
H = {"Content-Type": PUBLIC}


def offer_body(**over):
    body = {
        "name": "Aparat cyfrowy Testowy X100 nowy",
        "category": {"id": CAT},
        "productSet": [
            {
                "product": {"id": "5901234123457", "idType": "GTIN"},
                "responsibleProducer": {"type": "NAME", "name": "Producent Sp. z o.o."},
                "safetyInformation": {"type": "TEXT", "description": "Bezpieczny w użyciu."},
            }
        ],
        "parameters": [{"id": "11323", "valuesIds": ["11323_1"]}],
        "sellingMode": {"format": "BUY_NOW", "price": {"amount": "199.99", "currency": "PLN"}},
        "stock": {"available": 5, "unit": "UNIT"},
        "publication": {"status": "ACTIVE"},
        "location": {"countryCode": "PL", "province": "WIELKOPOLSKIE", "city": "Poznań", "postCode": "60-166"},
        "images": ["https://cdn.example.pl/a.jpg"],
        "description": {
            "sections": [{"items": [{"type": "TEXT", "content": "<h1>Aparat</h1><p>Opis <b>bold</b></p>"}]}]
        },
        "external": {"id": "SKU-1"},
    }
    body.update(over)
    return body


@pytest.fixture
def api(emulator):
    return emulator.api(emulator.user_token()["access_token"])


def create(emulator, api, **over):
    resp = api.post(emulator.url("/sale/product-offers"), json=offer_body(**over), headers=H)
    assert resp.status_code == 201, resp.text
    return resp.json()


def errors_of(resp):
    return [(e["code"], e["path"], e["message"]) for e in resp.json()["errors"]]


def test_create_sync_active(emulator, api):
    offer = create(emulator, api)
    assert offer["id"].isdigit() and offer["publication"]["status"] == "ACTIVE"
    assert offer["sellingMode"]["price"] == {"amount": "199.99", "currency": "PLN"}
    assert offer["afterSalesServices"]["returnPolicy"]["id"] and offer["delivery"]["shippingRates"]["id"]
    got = api.get(emulator.url(f"/sale/product-offers/{offer['id']}"))
    assert got.status_code == 200 and got.json()["external"]["id"] == "SKU-1"
    parts = api.get(emulator.url(f"/sale/product-offers/{offer['id']}/parts?include=stock&include=price")).json()
    assert parts["stock"]["available"] == 5 and parts["sellingMode"]["price"]["amount"] == "199.99"


def test_create_async_202_then_303(emulator, api):
    emulator.set_settings(async_offers=True, async_offer_seconds=2)
    resp = api.post(emulator.url("/sale/product-offers"), json=offer_body(), headers=H)
    assert resp.status_code == 202 and resp.headers["Retry-After"]
    location = resp.headers["Location"]
    assert "/operations/" in location
    plain = emulator.api()  # no token in the session: resend the Authorization header by hand
    auth = {"Authorization": api.headers["Authorization"]}
    poll = plain.get(location, headers=auth, allow_redirects=False)
    assert poll.status_code == 202 and poll.json()["operation"]["status"] in ("PENDING", "IN_PROGRESS")
    emulator.clock(3)
    done = plain.get(location, headers=auth, allow_redirects=False)
    assert done.status_code == 303
    offer = plain.get(done.headers["Location"], headers=auth)
    assert offer.status_code == 200 and offer.json()["publication"]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("over", "code", "path", "text"),
    [
        (
            {"description": {"sections": [{"items": [{"type": "TEXT", "content": "<p><ul><li>x</li></ul></p>"}]}]}},
            "VALIDATION_ERROR",
            "description.sections[0].items[0].content",
            'Invalid tag: "ul", allowed tags: {b}',
        ),
        (
            {"description": {"sections": [{"items": [{"type": "TEXT", "content": '<p class="x">a</p>'}]}]}},
            "VALIDATION_ERROR",
            "description.sections[0].items[0].content",
            "attributes",
        ),
        (
            {
                "description": {
                    "sections": [
                        {"items": [{"type": "TEXT", "content": "<p>a</p>"}]},
                        {"items": [{"type": "IMAGE", "url": "https://cdn.example.pl/other.jpg"}]},
                    ]
                }
            },
            "ConstraintViolationException.DescriptionImageNotAttached",
            "description.sections[1].items[0].url",
            "not attached",
        ),
        ({"parameters": []}, "MissingRequiredParameter", "parameters", "Stan"),
        (
            {"parameters": [{"id": "11323", "valuesIds": ["11323_999"]}]},
            "VALIDATION_ERROR",
            "parameters[0].valuesIds",
            "11323_999",
        ),
        ({"name": "x" * 76}, "VALIDATION_ERROR", "name", "at most 75"),
        ({"name": "Czajnik Bosch"}, "VALIDATION_ERROR", "name", "at least 3 words"),
        (
            {"sellingMode": {"format": "BUY_NOW", "price": {"amount": "10.999", "currency": "PLN"}}},
            "VALIDATION_ERROR",
            "sellingMode.price.amount",
            "2 decimal",
        ),
        (
            {"category": {"id": "42540aec-367a-4e5e-b411-17c09b08e41f"}},
            "CategoryNotLeafException",
            "category.id",
            "leaf",
        ),
        (
            {"location": {"countryCode": "PL", "province": "MAZOWIECKIE", "postCode": "00123"}},
            "VALIDATION_ERROR",
            "location.postCode",
            "NN-NNN",
        ),
        (
            {"publication": {"status": "ACTIVE", "duration": "P4D"}},
            "VALIDATION_ERROR",
            "publication.duration",
            "not allowed",
        ),
    ],
)
def test_validation_errors(emulator, api, over, code, path, text):
    resp = api.post(emulator.url("/sale/product-offers"), json=offer_body(**over), headers=H)
    assert resp.status_code == 422, resp.text
    assert any(c == code and p == path and text in m for c, p, m in errors_of(resp)), errors_of(resp)


def test_spec_rule_breaks_come_in_one_answer_with_the_offer_checks(emulator):
    """Allegro reports every error of an offer at once: a title longer than the spec allows, a price list the
    seller lacks and no responsible producer are three errors of one 422, the title's with the offer check's
    own message (not the spec's generic one, and not both)."""
    api = emulator.api(emulator.user_token()["access_token"], lang="pl-PL")
    body = offer_body(name="x" * 80, delivery={"shippingRates": {"id": "no-such-price-list"}})
    del body["productSet"][0]["responsibleProducer"]
    resp = api.post(emulator.url("/sale/product-offers"), json=body, headers=H)
    assert resp.status_code == 422, resp.text
    messages: dict[str, list[str]] = {}
    for item in resp.json()["errors"]:
        messages.setdefault(item["path"], []).append(item["userMessage"])
    assert messages["name"] == ["Tytuł oferty może mieć najwyżej 75 znaków."]
    assert messages["delivery.shippingRates"] == ["Nie znaleziono cennika dostawy."]
    assert messages["productSet[0].responsibleProducer"] == ["Podaj producenta odpowiedzialnego (GPSR)."]
    assert emulator.get("state/offers?external_id=SKU-1")["offers"] == []


def test_a_rule_only_the_spec_knows_refuses_drafts_and_patches_too(emulator, api):
    """A title under the spec's 12 characters passes the offer checks: the spec's error alone is the answer,
    for a draft as for an active offer, on POST and PATCH, and nothing is stored or changed."""
    draft = offer_body(name="Aparat", publication={"status": "INACTIVE"})
    resp = api.post(emulator.url("/sale/product-offers"), json=draft, headers=H)
    assert resp.status_code == 422, resp.text
    assert [(c, p) for c, p, _ in errors_of(resp)] == [("VALIDATION_ERROR", "name")]
    assert "at least 12" in errors_of(resp)[0][2]
    assert emulator.get("state/offers?external_id=SKU-1")["offers"] == []

    offer = create(emulator, api)
    resp = api.patch(
        emulator.url(f"/sale/product-offers/{offer['id']}"),
        json={"name": "Aparat", "stock": {"available": -1}},
        headers=H,
    )
    assert resp.status_code == 422, resp.text
    assert {p for _, p, _ in errors_of(resp)} == {"name", "stock.available"}
    got = api.get(emulator.url(f"/sale/product-offers/{offer['id']}")).json()
    assert got["name"] == offer["name"] and got["stock"]["available"] == 5
    # The rule breaks come before the handler's other refusals, as on every route: not a 404 here.
    resp = api.patch(emulator.url("/sale/product-offers/9999999999"), json={"name": "Aparat"}, headers=H)
    assert resp.status_code == 422 and [p for _, p, _ in errors_of(resp)] == ["name"]


def test_a_wrong_type_refuses_at_once_without_the_offer_checks(emulator, api):
    body = offer_body(name="x" * 80, stock={"available": "five"})
    resp = api.post(emulator.url("/sale/product-offers"), json=body, headers=H)
    assert resp.status_code == 400, resp.text
    assert [(c, p) for c, p, _ in errors_of(resp)] == [("JsonMappingException", "stock.available")]


def test_dependent_and_product_parameters(emulator, api):
    body = offer_body(
        parameters=[{"id": "11323", "valuesIds": ["11323_1"]}, {"id": "229205", "valuesIds": ["229205_340245"]}]
    )
    body["productSet"][0]["product"] = {"parameters": [{"id": "248811", "valuesIds": ["nonexistent"]}]}
    resp = api.post(emulator.url("/sale/product-offers"), json=body, headers=H)
    assert resp.status_code == 422
    found = errors_of(resp)
    assert any(p == "productSet[0].product.parameters[0].valuesIds" for _, p, _ in found), found
    assert any(c == "MissingRequiredParameter" and "Model" in m for c, _, m in found), found


def test_language_null_and_top_level_product(emulator, api):
    resp = api.post(emulator.url("/sale/product-offers"), json=offer_body(language=None), headers=H)
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == "JsonMappingException"
    resp = api.post(emulator.url("/sale/product-offers"), json=offer_body(product={"id": "x"}), headers=H)
    assert resp.status_code == 422 and resp.json()["errors"][0]["code"] == "UnknownJSONProperty"
    assert resp.json()["errors"][0]["metadata"]["unknownProperties"] == "product"


def test_new_seller_prerequisites_and_gpsr(emulator):
    emulator.add_seller("nowy-sprzedawca")
    api = emulator.api(emulator.user_token("nowy-sprzedawca")["access_token"])
    body = offer_body()
    del body["productSet"][0]["safetyInformation"]
    resp = api.post(emulator.url("/sale/product-offers"), json=body, headers=H)
    assert resp.status_code == 422
    codes = {c for c, _, _ in errors_of(resp)}
    assert {"ImpliedWarrantyNotDefinedException", "ReturnPolicyNotDefinedException",
            "DefaultShippingRatesNotFoundException", "PRODUCT_SAFETY_EMPTY"} <= codes  # fmt: skip
    draft = api.post(
        emulator.url("/sale/product-offers"), json={**body, "publication": {"status": "INACTIVE"}}, headers=H
    )
    assert draft.status_code == 201 and draft.json()["publication"]["status"] == "INACTIVE"
    assert {e["code"] for e in draft.json()["validation"]["errors"]} >= {"ReturnPolicyNotDefinedException"}
    assert api.delete(emulator.url(f"/sale/offers/{draft.json()['id']}")).status_code == 204
    assert api.get(emulator.url(f"/sale/product-offers/{draft.json()['id']}")).status_code == 404


def test_patch_stock_zero_ends_offer_and_events(emulator, api):
    offer = create(emulator, api)
    url = emulator.url(f"/sale/product-offers/{offer['id']}")
    resp = api.patch(url, json={"sellingMode": {"price": {"amount": "149.00", "currency": "PLN"}}}, headers=H)
    assert resp.status_code == 200 and resp.json()["sellingMode"]["price"]["amount"] == "149.00"
    resp = api.patch(url, json={"stock": {"available": 0}}, headers=H)
    assert resp.status_code == 200, resp.text
    pub = resp.json()["publication"]
    assert pub["status"] == "ENDED" and pub["endedBy"] == "EMPTY_STOCK"
    events = api.get(emulator.url("/sale/offer-events?limit=1000")).json()["offerEvents"]
    types = [e["type"] for e in events]
    assert types == ["OFFER_ACTIVATED", "OFFER_PRICE_CHANGED", "OFFER_STOCK_CHANGED", "OFFER_ENDED"]
    assert (
        events[-1]["offer"]["publication"]["endedBy"] == "EMPTY_STOCK"
        and events[0]["offer"]["external"]["id"] == "SKU-1"
    )
    after = api.get(emulator.url(f"/sale/offer-events?from={events[1]['id']}&type=OFFER_ENDED")).json()["offerEvents"]
    assert [e["type"] for e in after] == ["OFFER_ENDED"]
    other = emulator.add_seller("inny")
    assert other
    api2 = emulator.api(emulator.user_token("inny")["access_token"])
    assert api2.patch(url, json={"name": "Cudza oferta nie moja"}, headers=H).status_code == 404


def test_async_patch_conflict(emulator, api):
    offer = create(emulator, api)
    emulator.set_settings(async_offers=True, async_offer_seconds=5)
    url = emulator.url(f"/sale/product-offers/{offer['id']}")
    assert api.patch(url, json={"name": "Nowa nazwa aparatu X100"}, headers=H).status_code == 202
    assert api.patch(url, json={"name": "Jeszcze inna nazwa X100"}, headers=H).status_code == 409
    emulator.clock(6)
    assert api.patch(url, json={"name": "Jeszcze inna nazwa X100"}, headers=H).status_code == 202


@pytest.mark.slow
def test_listing_filters_and_paging(emulator, api):
    for i in range(30):
        create(emulator, api, name=f"Aparat Łódź numer {i:02d} test", external={"id": f"S-{i}"},
               sellingMode={"format": "BUY_NOW", "price": {"amount": f"{10 + i}.50", "currency": "PLN"}},
               publication={"status": "ACTIVE" if i % 2 else "INACTIVE"})  # fmt: skip

    def get(query):
        resp = api.get(emulator.url("/sale/offers" + query))
        assert resp.status_code == 200, resp.text
        return resp.json()

    page = get("")
    assert page["count"] == 20 and page["totalCount"] == 30 and page["offers"][0]["external"]["id"] == "S-29"
    assert get("?limit=1000")["count"] == 30
    assert get("?external.id=S-3&external.id=S-4")["totalCount"] == 2
    assert get("?publication.status=ACTIVE")["totalCount"] == 15
    assert get("?name=%C5%82%C3%B3D%C5%B9 NUMER 1")["totalCount"] == 10  # case-insensitive, Polish letters
    assert get("?sellingMode.price.amount.gte=20&sellingMode.price.amount.lte=25")["totalCount"] == 5
    cheap = get("?sort=sellingMode.price.amount&limit=2&offset=1")["offers"]
    assert [o["sellingMode"]["price"]["amount"] for o in cheap] == ["11.50", "12.50"]
    # the spec documents 400 ("The request query parameters are invalid") and no 422 for this listing
    assert api.get(emulator.url("/sale/offers?limit=1001")).status_code == 400


def test_expiry_and_archiving_by_clock(emulator, api):
    offer = create(emulator, api, publication={"status": "ACTIVE", "duration": "P3D"})
    assert offer["publication"]["endingAt"]
    emulator.clock(3 * 86400 + 10)
    api = emulator.api(emulator.user_token()["access_token"])  # the old token expired with the clock jump
    got = api.get(emulator.url(f"/sale/product-offers/{offer['id']}")).json()
    assert got["publication"]["status"] == "ENDED" and got["publication"]["endedBy"] == "EXPIRATION"
    emulator.clock(59 * 86400)
    api = emulator.api(emulator.user_token()["access_token"])
    assert api.get(emulator.url(f"/sale/product-offers/{offer['id']}")).status_code == 200
    emulator.clock(2 * 86400)
    api = emulator.api(emulator.user_token()["access_token"])
    resp = api.get(emulator.url(f"/sale/product-offers/{offer['id']}"))
    assert resp.status_code == 404 and resp.json()["errors"][0]["code"] == "OfferNotFoundException"
    assert api.get(emulator.url("/sale/offers")).json()["totalCount"] == 0
    types = [e["type"] for e in api.get(emulator.url("/sale/offer-events")).json()["offerEvents"]]
    assert types == ["OFFER_ARCHIVED"]  # the older events fell out of the 24 h window


def test_control_end_and_state(emulator, api):
    offer = create(emulator, api)
    ended = emulator.post(f"offers/{offer['id']}/end", {"reason": "ADMIN"})
    assert ended["status"] == "ENDED" and ended["ended_by"] == "ADMIN"
    state = emulator.get("state/offers?external_id=SKU-1")["offers"]
    assert [o["id"] for o in state] == [offer["id"]] and state[0]["price"] == "199.99"


@pytest.mark.slow
def test_record_sale_hook(emulator_server):
    """record_sale is the orders area's entry point; exercise it in-process on a scratch state."""
    import tempfile

    from allegro_emulator import app, db, offers

    app.init(tempfile.mktemp(suffix=".sqlite3"))
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO offers(id, seller_id, status, stock_available, data, created_at, updated_at, last_edit_at) "
            "VALUES ('1', 's', 'ACTIVE', 2, '{}', 'x', 'x', 'x')"
        )
    assert offers.record_sale("1", 1)["stock_available"] == 1
    row = offers.record_sale("1", 1)
    assert row["status"] == "ENDED" and row["ended_by"] == "EMPTY_STOCK" and row["stock_sold"] == 2
    types = [r["type"] for r in db.query("SELECT type FROM offer_events ORDER BY seq")]
    assert types == ["OFFER_STOCK_CHANGED", "OFFER_STOCK_CHANGED", "OFFER_ENDED"]


def test_required_if_other_parameter_has_a_value(emulator, api):
    """Allegro's requiredIf: "Rodzaj gazu" in "Grille" is required only for a gas grill."""
    params = api.get(emulator.url("/sale/categories/260556/parameters")).json()["parameters"]
    by_name = {p["name"]: p for p in params}
    kind, gas = by_name["Rodzaj grilla"], by_name["Rodzaj gazu"]
    kinds = {e["value"]: e["id"] for e in kind["dictionary"]}
    assert gas["requiredIf"]["parametersWithValue"] == [{"id": kind["id"], "oneOfValueIds": [kinds["gazowy"]]}]

    def body(*parameters):
        stan = {"id": "11323", "valuesIds": ["11323_1"]}
        return offer_body(category={"id": "260556"}, parameters=[stan, *parameters])

    refused = api.post(
        emulator.url("/sale/product-offers"), json=body({"id": kind["id"], "valuesIds": [kinds["gazowy"]]}), headers=H
    )
    assert refused.status_code == 422
    assert any(
        e["code"] == "MissingRequiredParameter" and "Rodzaj gazu" in e["message"] for e in refused.json()["errors"]
    )
    for parameters in (
        [{"id": kind["id"], "valuesIds": [kinds["węglowy"]]}],
        [
            {"id": kind["id"], "valuesIds": [kinds["gazowy"]]},
            {"id": gas["id"], "valuesIds": [gas["dictionary"][0]["id"]]},
        ],
    ):
        resp = api.post(emulator.url("/sale/product-offers"), json=body(*parameters), headers=H)
        assert resp.status_code == 201, resp.text
