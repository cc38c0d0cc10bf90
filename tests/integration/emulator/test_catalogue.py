"""Categories, parameters, matching categories, delivery methods, tax settings, carriers."""

import pytest


def _api(emulator):
    return emulator.api(emulator.app_token())


def _walk(api, emulator, parent=None, depth=1, seen=None):
    seen = seen if seen is not None else {"leaves": [], "max_depth": 0}
    params = {"parent.id": parent} if parent else {}
    cats = api.get(emulator.url("/sale/categories"), params=params).json()["categories"]
    for cat in cats:
        seen["max_depth"] = max(seen["max_depth"], depth)
        if cat["leaf"]:
            seen["leaves"].append(cat["id"])
        else:
            _walk(api, emulator, cat["id"], depth + 1, seen)
    return seen


def test_tree_has_real_roots_elektronika_children_and_30_leaves_3_levels_deep(emulator):
    api = _api(emulator)
    roots = api.get(emulator.url("/sale/categories")).json()["categories"]
    assert len(roots) == 13 and {"Elektronika", "Dom i Ogród", "Motoryzacja"} <= {c["name"] for c in roots}
    kids = api.get(
        emulator.url("/sale/categories"), params={"parent.id": "42540aec-367a-4e5e-b411-17c09b08e41f"}
    ).json()["categories"]
    assert {c["id"] for c in kids} == {"8845", "2", "122233", "10", "122332", "4"}
    tree = _walk(api, emulator)
    assert len(tree["leaves"]) >= 30 and tree["max_depth"] >= 3
    assert {"257933", "85166"} <= set(tree["leaves"])
    leaf = api.get(emulator.url("/sale/categories/85166")).json()
    assert leaf["leaf"] is True and leaf["parent"] == {"id": "66887"} and leaf["name"] == "Bezprzewodowe"


def test_camera_leaf_has_the_real_39_parameters(emulator):
    params = _api(emulator).get(emulator.url("/sale/categories/257933/parameters")).json()["parameters"]
    assert len(params) == 39
    by_id = {p["id"]: p for p in params}
    assert by_id["11323"]["name"] == "Stan" and by_id["229205"]["options"]["dependsOnParameterId"] == "11323"


@pytest.mark.slow
def test_every_leaf_has_stan_and_parameters_of_every_type(emulator):
    api = _api(emulator)
    types, range_seen, offer_level, product_level = set(), False, False, False
    for leaf in _walk(api, emulator)["leaves"]:
        params = api.get(emulator.url(f"/sale/categories/{leaf}/parameters")).json()["parameters"]
        assert any(p["id"] == "11323" for p in params), leaf
        for p in params:
            types.add(p["type"])
            range_seen |= bool(p.get("restrictions", {}).get("range"))
            offer_level |= not p["options"]["describesProduct"]
            product_level |= p["options"]["describesProduct"]
    assert types == {"dictionary", "integer", "float", "string"} and range_seen and offer_level and product_level


def test_product_parameters_are_the_describing_ones(emulator):
    api = _api(emulator)
    product = api.get(emulator.url("/sale/categories/85166/product-parameters")).json()["parameters"]
    ids = {p["id"] for p in product}
    assert "225693" in ids and "11323" not in ids


def test_matching_categories_by_words(emulator):
    api = _api(emulator)
    resp = api.get(
        emulator.url("/sale/matching-categories"), params={"name": "Słuchawki bezprzewodowe Sony WH-1000XM5"}
    )
    first = resp.json()["matchingCategories"][0]
    assert first["id"] == "85166" and first["parent"]["id"] == "66887"
    camera = api.get(emulator.url("/sale/matching-categories"), params={"name": "Aparat cyfrowy Canon"})
    assert camera.json()["matchingCategories"][0]["id"] == "257933"


def test_delivery_methods_have_real_ids_and_cod_variants(emulator):
    methods = _api(emulator).get(emulator.url("/sale/delivery-methods")).json()["deliveryMethods"]
    assert 20 <= len(methods) <= 35
    ids = {m["id"] for m in methods}
    assert "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93" in ids
    assert any(m["paymentPolicy"] == "CASH_ON_DELIVERY" for m in methods)
    assert all(m["shippingRatesConstraints"]["firstItemRate"]["currency"] == "PLN" for m in methods)


def test_tax_settings_and_carriers(emulator):
    api = emulator.api(emulator.user_token()["access_token"])
    tax = api.get(emulator.url("/sale/tax-settings"), params={"category.id": "257933", "countryCode": "PL"}).json()
    assert tax["rates"][0]["values"][0]["value"] == "23.00"
    assert api.get(emulator.url("/sale/tax-settings"), params={"category.id": "x"}).status_code == 404
    carriers = api.get(emulator.url("/order/carriers")).json()["carriers"]
    assert {"INPOST", "DPD", "ALLEGRO", "OTHER"} <= {c["id"] for c in carriers}
