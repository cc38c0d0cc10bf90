"""The emulator's promotion area as Allegro answers it: the packages on offer, the promo-options command
(idempotent by its UUID: the same body gives the same report, another body 409), the spec's validation (422),
an offer's packages, the seller check (403) and the fee preview pricing the options."""

from __future__ import annotations

import uuid

import pytest

from allegro.accounts.services.accounts import account_client
from allegro.integration.client import AllegroError, AllegroValidationError
from tests.emulator_support import make_offer

pytestmark = pytest.mark.django_db


def command(offer_id: str, *, base: str | None = "emphasized10d", extras=("departmentPage",)) -> dict:
    modification = {"modificationTime": "NOW", "extraPackages": [{"id": e} for e in extras]}
    if base:
        modification["basePackage"] = {"id": base}
    return {"offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": offer_id}]}], "modification": modification}


@pytest.fixture
def client(connected_account):
    return account_client(account=connected_account)


def test_packages_list(client):
    data = client.get_promotion_packages()
    assert {p["id"] for p in data["basePackages"]} == {"emphasized1d", "emphasized10d", "promoPackage"}
    assert [p["id"] for p in data["extraPackages"]] == ["departmentPage"]
    assert all(p["cycleDuration"].startswith("PT") and p["name"] for p in data["basePackages"])


def test_command_is_idempotent_by_its_id_and_sets_the_packages(emulator, client):
    offer_id = make_offer(emulator, external_id="SKU-P1")
    command_id = str(uuid.uuid4())
    first = client.put_promo_options_command(command_id, command(offer_id))
    again = client.put_promo_options_command(command_id, command(offer_id))
    assert first == again == {"id": command_id, "taskCount": {"total": 1, "success": 1, "failed": 0}}
    assert client.get_promo_options_command(command_id) == first
    options = client.get_offer_promo_options(offer_id)
    assert options["basePackage"]["id"] == "emphasized10d"
    assert [p["id"] for p in options["extraPackages"]] == ["departmentPage"]

    with pytest.raises(AllegroError) as refused:
        client.put_promo_options_command(command_id, command(offer_id, base="promoPackage"))
    assert refused.value.status == 409

    # Extra packages left out keep what the offer has; a new base package replaces the old one.
    client.put_promo_options_command(
        str(uuid.uuid4()),
        {
            "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": offer_id}]}],
            "modification": {"modificationTime": "END_OF_CYCLE", "basePackage": {"id": "promoPackage"}},
        },
    )
    options = client.get_offer_promo_options(offer_id)
    assert options["basePackage"]["id"] == "promoPackage" and options["extraPackages"][0]["id"] == "departmentPage"


def test_command_validation(emulator, client):
    offer_id = make_offer(emulator, external_id="SKU-P2")
    with pytest.raises(AllegroValidationError) as unknown:
        client.put_promo_options_command(str(uuid.uuid4()), command(offer_id, base="gold"))
    assert unknown.value.status == 422
    assert [e.path for e in unknown.value.errors] == ["modification.basePackage.id"]
    with pytest.raises(AllegroValidationError):
        client.put_promo_options_command(
            str(uuid.uuid4()), {"offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": []}], "modification": {}}
        )
    with pytest.raises(AllegroError) as not_uuid:
        client.put_promo_options_command("nie-uuid", command(offer_id))
    assert not_uuid.value.status == 422


def test_an_offer_of_another_seller_fails_its_task_and_cannot_be_read(emulator, client):
    other = emulator.add_seller("inny-sprzedawca")
    foreign = make_offer(emulator, external_id="SKU-OBCY", seller_id=other)
    report = client.put_promo_options_command(str(uuid.uuid4()), command(foreign))
    assert report["taskCount"] == {"total": 1, "success": 0, "failed": 1}
    with pytest.raises(AllegroError) as denied:
        client.get_offer_promo_options(foreign)
    assert denied.value.status == 403


def test_fee_preview_prices_the_options(client):
    data = client.post_fee_preview(
        {
            "offer": {
                "name": "Czajnik Bosch",
                "sellingMode": {"format": "BUY_NOW", "price": {"amount": "100.00", "currency": "PLN"}},
                "promotion": {"emphasized10d": True, "departmentPage": True, "emphasized1d": False},
            }
        }
    )
    fees = {q["type"]: q["fee"]["amount"] for q in data["quotes"]}
    assert fees == {"listingFee": "0.00", "emphasized10d": "12.90", "departmentPage": "39.90"}
    assert data["commissions"][0]["fee"] == {"amount": "10.00", "currency": "PLN"}
    with pytest.raises(AllegroValidationError):
        client.post_fee_preview({"offer": {"name": "x", "promotion": {"emphasized10d": "tak"}}})
    with pytest.raises(AllegroValidationError):
        client.post_fee_preview({"offer": {"name": "", "promotion": {"emphasized10d": True}}})
