"""Shipping rates, after-sales conditions and responsible producers, with Allegro's validation."""

import pytest

from tests.integration.conftest import PUBLIC

PACZKOMATY = "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93"
LIST_POLECONY = "758fcd59-fbfa-4453-ae07-4800d72c2ca5"
ADDRESS = {"name": "Sklep", "street": "ul. Długa 1", "postCode": "00-001", "city": "Warszawa", "countryCode": "PL"}


@pytest.fixture
def api(emulator):
    session = emulator.api(emulator.user_token()["access_token"], lang="pl-PL")
    session.headers["Content-Type"] = PUBLIC
    return session


def _rate(method=PACZKOMATY, amount="9.99", qty=1, **extra):
    return {
        "deliveryMethod": {"id": method},
        "maxQuantityPerPackage": qty,
        "firstItemRate": {"amount": amount, "currency": "PLN"},
        "nextItemRate": {"amount": "0.00", "currency": "PLN"},
        **extra,
    }


def test_demo_seller_has_one_rate_set_and_a_new_one_can_be_created_read_and_replaced(emulator, api):
    listed = api.get(emulator.url("/sale/shipping-rates")).json()["shippingRates"]
    assert len(listed) == 1
    created = api.post(emulator.url("/sale/shipping-rates"), json={"name": "Gabaryty, do 30 kg", "rates": [_rate()]})
    assert created.status_code == 201
    set_id = created.json()["id"]
    got = api.get(emulator.url(f"/sale/shipping-rates/{set_id}")).json()
    assert got["rates"][0]["firstItemRate"] == {"amount": "9.99", "currency": "PLN"}
    put = api.put(
        emulator.url(f"/sale/shipping-rates/{set_id}"), json={"name": "Gabaryty", "rates": [_rate(amount="11.50")]}
    )
    assert put.status_code == 200 and put.json()["rates"][0]["firstItemRate"]["amount"] == "11.50"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": "Zły <znak>", "rates": [_rate()]}, "name"),
        ({"name": "x" * 65, "rates": [_rate()]}, "name"),
        ({"name": "OK", "rates": [_rate(method="00000000-0000-0000-0000-000000000000")]}, "rates[0].deliveryMethod.id"),
        (
            {"name": "OK", "rates": [_rate(), _rate(method=LIST_POLECONY, amount="-1.00")]},
            "rates[1].firstItemRate.amount",
        ),
        ({"name": "OK", "rates": [_rate(amount="100000.00")]}, "rates[0].firstItemRate.amount"),
        ({"name": "OK", "rates": [_rate(qty=11)]}, "rates[0].maxQuantityPerPackage"),
        ({"name": "OK", "rates": [_rate(shippingTime={"from": "PT24H", "to": "PT48H"})]}, "rates[0].shippingTime"),
    ],
)
def test_shipping_rate_validation_names_the_path(emulator, api, body, path):
    resp = api.post(emulator.url("/sale/shipping-rates"), json=body)
    assert resp.status_code == 422
    error = resp.json()["errors"][0]
    assert error["path"] == path and error["code"] == "VALIDATION_ERROR" and error["userMessage"] != error["message"]


def test_customizable_shipping_time_is_accepted(emulator, api):
    resp = api.post(
        emulator.url("/sale/shipping-rates"),
        json={"name": "Listy", "rates": [_rate(method=LIST_POLECONY, shippingTime={"from": "PT24H", "to": "PT72H"})]},
    )
    assert resp.status_code == 201


def test_new_seller_starts_without_conditions_or_rates(emulator):
    emulator.add_seller("pusty-sklep")
    api = emulator.api(emulator.user_token(login="pusty-sklep")["access_token"])
    assert api.get(emulator.url("/sale/shipping-rates")).json()["shippingRates"] == []
    for kind, key in (
        ("return-policies", "returnPolicies"),
        ("warranties", "warranties"),
        ("implied-warranties", "impliedWarranties"),
    ):
        assert api.get(emulator.url(f"/after-sales-service-conditions/{kind}")).json()[key] == []


def test_implied_warranty_needs_whole_years_of_at_least_two(emulator, api):
    url = emulator.url("/after-sales-service-conditions/implied-warranties")
    bad = api.post(
        url,
        json={"name": "Krótka", "individual": {"period": "P1Y"}, "corporate": {"period": "P24M"}, "address": ADDRESS},
    )
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"individual.period", "corporate.period"}
    good = api.post(
        url,
        json={"name": "Rękojmia", "individual": {"period": "P2Y"}, "corporate": {"period": "P2Y"}, "address": ADDRESS},
    )
    assert good.status_code == 201
    warranty_id = good.json()["id"]
    assert api.get(f"{url}/{warranty_id}").json()["name"] == "Rękojmia"
    listed = api.get(url, params={"limit": 60}).json()
    assert listed["count"] == 2
    assert api.get(url, params={"limit": 61}).status_code == 422


def test_warranty_needs_both_periods(emulator, api):
    url = emulator.url("/after-sales-service-conditions/warranties")
    bad = api.post(url, json={"name": "G", "type": "SELLER", "individual": {"period": "P12M"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "corporate.period"
    good = api.post(
        url, json={"name": "G", "type": "SELLER", "individual": {"period": "P12M"}, "corporate": {"period": "P6M"}}
    )
    assert good.status_code == 201
    put = api.put(
        f"{url}/{good.json()['id']}",
        json={"name": "G2", "type": "SELLER", "individual": {"lifetime": True}, "corporate": {"period": "P1Y"}},
    )
    assert put.status_code == 200 and put.json()["name"] == "G2"


def test_return_policy_with_returns_needs_full_options_and_can_be_deleted(emulator, api):
    url = emulator.url("/after-sales-service-conditions/return-policies")
    base = {
        "name": "Zwroty",
        "isFulfillment": False,
        "availability": {"range": "FULL"},
        "withdrawalPeriod": "P30D",
        "returnCost": {"coveredBy": "SELLER"},
        "address": ADDRESS,
    }
    bad = api.post(url, json=base)
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "options"
    options = {
        "cashOnDeliveryNotAllowed": False,
        "freeAccessoriesReturnRequired": False,
        "refundLoweredByReceivedDiscount": False,
        "businessReturnAllowed": True,
        "collectBySellerOnly": False,
    }
    good = api.post(url, json={**base, "options": options})
    assert good.status_code == 201
    policy_id = good.json()["id"]
    assert api.delete(f"{url}/{policy_id}").status_code == 204
    assert api.get(f"{url}/{policy_id}").status_code == 404


def test_responsible_producers(emulator, api):
    url = emulator.url("/sale/responsible-producers")
    bad = api.post(url, json={"name": "", "producerData": {}})
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/json"
    body = {
        "name": "Sony",
        "producerData": {
            "tradeName": "Sony Europe B.V.",
            "address": {"countryCode": "NL", "street": "Taurusavenue 16", "postalCode": "2132 LS", "city": "Hoofddorp"},
            "contact": {"email": "info@sony.example"},
        },
    }
    created = api.post(url, json=body)
    assert created.status_code == 201
    listed = api.get(url).json()
    assert listed["totalCount"] == 1 and listed["responsibleProducers"][0]["id"] == created.json()["id"]
