"""The emulator's product catalogue: search (phrase, GTIN, MPN, category, pages), a product, proposals, and how an
offer's productSet meets it (unknown and ambiguous GTINs, a chosen product, an offer without a product)."""

import pytest

from allegro_emulator.products_data import DEMO_PRODUCTS, KETTLE_GTINS, KETTLE_SHARED_GTIN
from tests.factories import make_ean
from tests.integration.conftest import PUBLIC
from tests.integration.emulator.test_offers import offer_body

H = {"Content-Type": PUBLIC}
KETTLE = "300407"


@pytest.fixture
def api(emulator):
    return emulator.api(emulator.user_token()["access_token"], lang="pl-PL")


def search(emulator, api, **params):
    resp = api.get(emulator.url("/sale/products"), params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_search_by_gtin_phrase_mpn_and_category(emulator, api):
    sku, leaf, name, _brand, model, ean = DEMO_PRODUCTS[0]  # a product of the shop's demo catalogue
    (found,) = search(emulator, api, phrase=ean, mode="GTIN")["products"]
    assert found["name"] == name and found["category"]["id"] == leaf
    assert found["publication"]["status"] == "LISTED" and found["category"]["path"][-1]["id"] == leaf
    gtin = [p for p in found["parameters"] if p["id"] == "225693"]
    assert gtin == [{"id": "225693", "name": "EAN (GTIN)", "values": [ean], "options": gtin[0]["options"]}]
    assert gtin[0]["options"]["isGTIN"] is True
    assert search(emulator, api, phrase=ean.lstrip("0") or ean, mode="GTIN")["products"][0]["id"] == found["id"]
    assert len(search(emulator, api, phrase=KETTLE_SHARED_GTIN, mode="GTIN")["products"]) == 2
    assert search(emulator, api, phrase=make_ean(990002), mode="GTIN")["products"] == []
    assert [p["id"] for p in search(emulator, api, phrase=model.upper(), mode="MPN")["products"]][:1] == [found["id"]]

    kettles = search(emulator, api, phrase="czajnik elektryczny")["products"]
    assert len(kettles) == len(KETTLE_GTINS) + 2 and all(p["category"]["id"] == KETTLE for p in kettles)
    assert search(emulator, api, phrase="czajnik", **{"category.id": "10"})["products"]  # RTV i AGD, an ancestor
    assert search(emulator, api, phrase="czajnik", **{"category.id": "8845"})["products"] == []  # Fotografia


def test_search_pages_and_bad_queries(emulator, api):
    first = search(emulator, api, phrase="Elektronika")
    assert len(first["products"]) == 30 and first["nextPage"]["id"]
    seen = [p["id"] for p in first["products"]]
    page = first
    while page.get("nextPage"):
        page = search(emulator, api, phrase="Elektronika", **{"page.id": page["nextPage"]["id"]})
        seen += [p["id"] for p in page["products"]]
    assert len(seen) == len(set(seen)) > 30
    for params, path in (
        ({}, "phrase"),
        ({"phrase": "x", "mode": "EAN"}, "mode"),
        ({"phrase": "x", "page.id": "!!"}, "page.id"),
    ):
        resp = api.get(emulator.url("/sale/products"), params=params)
        assert resp.status_code == 422 and resp.json()["errors"][0]["path"] == path


def test_product_by_id(emulator, api):
    (found,) = search(emulator, api, phrase=KETTLE_GTINS[0], mode="GTIN")["products"]
    resp = api.get(emulator.url(f"/sale/products/{found['id']}"))
    assert resp.status_code == 200 and resp.json()["name"] == found["name"]
    missing = api.get(emulator.url("/sale/products/00000000-0000-0000-0000-000000000000"))
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "ProductNotFoundException"


def proposal(gtin: str, **over) -> dict:
    body = {
        "name": "Czajnik elektryczny Testowy CZ-1",
        "category": {"id": KETTLE},
        "images": [{"url": "https://cdn.example.pl/czajnik.jpg"}],
        "parameters": [
            {"id": "248811", "valuesIds": ["248811_950093"]},
            {"id": "225693", "values": [gtin]},
            {"id": "224017", "values": ["CZ-1"]},
        ],
        "language": "pl-PL",
    }
    body.update(over)
    return body


def test_proposals_created_refused_and_duplicates(emulator, api):
    params = {
        p["name"]: p["id"] for p in api.get(emulator.url(f"/sale/categories/{KETTLE}/parameters")).json()["parameters"]
    }
    gtin = make_ean(990003)
    incomplete = api.post(emulator.url("/sale/product-proposals"), json=proposal(gtin), headers=H)
    assert incomplete.status_code == 422
    (problem,) = incomplete.json()["errors"]
    assert problem["code"] == "ProductValidationException" and "Pojemność" in problem["userMessage"]

    body = proposal(gtin)
    body["parameters"].append({"id": params["Pojemność"], "values": ["1.7"]})
    created = api.post(emulator.url("/sale/product-proposals"), json=body, headers=H)
    assert created.status_code == 201, created.text
    assert created.json()["publication"] == {"status": "PROPOSED"}
    (found,) = search(emulator, api, phrase=gtin, mode="GTIN")["products"]
    assert found["id"] == created.json()["id"] and found["publication"]["status"] == "PROPOSED"

    again = api.post(emulator.url("/sale/product-proposals"), json=body, headers=H)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "ProductDuplicate"
    assert again.headers["Location"].endswith(f"/sale/products/{found['id']}")


def kettle_offer(product: dict | None) -> dict:
    body = offer_body(category={"id": KETTLE}, name="Czajnik elektryczny 1,7 l")
    if product is None:
        body["productSet"][0].pop("product")
    else:
        body["productSet"][0]["product"] = product
    return body


def errors(resp) -> list[tuple[str, str]]:
    return [(e["code"], e["path"]) for e in resp.json()["errors"]]


def test_offers_meet_the_catalogue(emulator, api):
    post = lambda body: api.post(emulator.url("/sale/product-offers"), json=body, headers=H)  # noqa: E731
    unknown = post(kettle_offer({"id": make_ean(990004), "idType": "GTIN"}))
    assert unknown.status_code == 422
    assert errors(unknown) == [("MatchingProductNotFoundException", "productSet[0].product")]

    shared = post(kettle_offer({"id": KETTLE_SHARED_GTIN, "idType": "GTIN"}))
    assert errors(shared) == [("MultipleProductsFoundException", "productSet[0].product")]
    # Allegro first tries the parameters sent: the producer code tells the two apart
    narrowed = post(
        kettle_offer(
            {"id": KETTLE_SHARED_GTIN, "idType": "GTIN", "parameters": [{"id": "224017", "values": ["KO250-CZARNY"]}]}
        )
    )
    assert narrowed.status_code == 201, narrowed.text
    black = [
        p for p in search(emulator, api, phrase=KETTLE_SHARED_GTIN, mode="GTIN")["products"] if "czarny" in p["name"]
    ]
    assert narrowed.json()["productSet"][0]["product"]["id"] == black[0]["id"]

    chosen = post(kettle_offer({"id": black[0]["id"]}))
    assert chosen.status_code == 201 and chosen.json()["productSet"][0]["product"]["id"] == black[0]["id"]
    nothing = post(kettle_offer({"id": "00000000-0000-0000-0000-000000000000"}))
    assert errors(nothing) == [("ProductNotFoundException", "productSet[0].product.id")]

    without = post(kettle_offer(None))
    assert without.status_code == 422
    assert ("ConstraintViolationException.ValidProductization", "productSet") in errors(without)
    assert any("nie wystawisz oferty bez powiązanego produktu" in e["userMessage"] for e in without.json()["errors"])
    printers = api.get(emulator.url("/sale/categories/300206/parameters")).json()["parameters"]  # a catch-all leaf
    marka = next(p for p in printers if p["id"] == "248811")
    elsewhere = offer_body(category={"id": "300206"}, name="Drukarka laserowa")
    elsewhere["productSet"][0]["product"] = {  # the product's parameters, but no product
        "parameters": [
            {"id": "248811", "valuesIds": [marka["dictionary"][0]["id"]]},
            {"id": "225693", "values": [make_ean(990005)]},
            {"id": "224017", "values": ["DR-1"]},
        ]
    }
    allowed = post(elsewhere)
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["productSet"][0]["product"]["publication"] == {"status": "NOT_LISTED"}


def test_untidy_answers_are_deterministic_and_keep_what_names_things(emulator, api):
    resp = emulator.http.post(emulator.url("/_emulator/settings"), json={"untidy": {"seed": 1, "probability": 2}})
    assert resp.status_code == 400
    emulator.set_settings(untidy={"seed": 5, "probability": 1.0})
    emulator.untidy = True
    first = search(emulator, api, phrase=KETTLE_GTINS[0], mode="GTIN")
    product = first["products"][0]
    assert product["id"] and product["name"]  # required by the spec: never touched
    assert "publication" in product and product["publication"]["status"] == "LISTED"  # a state is kept
    assert product.get("images") is None and product.get("hasProtectedBrand") is None  # optional: all gone
    assert search(emulator, api, phrase=KETTLE_GTINS[0], mode="GTIN") == first  # the same on every read
    emulator.set_settings(untidy={"seed": 5, "probability": 0.5})
    half = search(emulator, api, phrase="czajnik elektryczny")["products"]
    assert len({tuple(sorted(p)) for p in half}) > 1  # products differ in which fields they lost
    emulator.set_settings(untidy=None)
    emulator.untidy = False
    assert search(emulator, api, phrase=KETTLE_GTINS[0], mode="GTIN")["products"][0]["images"]
