# ruff: noqa: F811 - the listing fixtures (account, kettles) are imported from the offers tests and named as arguments
"""Renewal that keeps its promise, against the emulator: an archived offer relisted as a new one takes the shop's
current price and stock under the chosen options, is validated before anything is sent, can be relisted twice
without tripping over its ``replaces`` link, and "usuwanie z bazy archiwalnych aukcji" removes the old record;
the automatic renewal sends a fresh description when the account says so."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from allegro.core.models import EventLogEntry
from allegro.offers.models import Offer, OfferStatus
from allegro.offers.services.offers import offer_prepare, offer_publish
from allegro.sync.services.renew import offers_relist
from allegro.sync.services.steps import sync_run
from shop.models import Product
from tests.emulator_support import state_db
from tests.integration.allegro.offers.test_offers import GPSR, account, kettle, kettles  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auto_flush(settings):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None
    settings.ALLEGRO_COMMAND_WAIT_SECONDS = 20


def remote(emulator, sku: str) -> list[dict]:
    return emulator.get(f"state/offers?external_id={sku}")["offers"]


def listed_then_archived(emulator, kettles, account, **product_fields) -> Offer:
    """A published offer (stock 5, shop price 100, markup 10 %) that ended and was archived on Allegro."""
    product = kettle(kettles, price=Decimal("100.00"), stock=5, **product_fields)
    offer = offer_publish(offer=offer_prepare(product=product, account=account, overrides=GPSR))
    assert offer.status == OfferStatus.ACTIVE, offer.last_error
    with state_db(emulator) as conn:
        conn.execute(
            "UPDATE offers SET status = 'ENDED', ended_at = '2026-01-01T00:00:00.000Z', "
            "archived_at = '2026-03-01T00:00:00.000Z' WHERE id = ?",
            (offer.allegro_id,),
        )
    Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.ARCHIVED, renew_after_end=True)
    return Offer.objects.get(pk=offer.pk)


def test_archived_offer_relisted_takes_the_current_price_and_stock(emulator, kettles, account):
    old = listed_then_archived(emulator, kettles, account)
    Product.objects.filter(pk=old.product_id).update(price=Decimal("200.00"), stock=2)

    [result] = offers_relist(offers=Offer.objects.filter(pk=old.pk), update_prices=True, update_quantities=True)

    assert result.recreated == 1 and not result.failed, result.failed
    new = Offer.objects.get(replaces=old)
    assert new.status == OfferStatus.ACTIVE and new.allegro_id != old.allegro_id
    assert new.price == Decimal("220.00") and new.quantity == 2
    [live] = [o for o in remote(emulator, old.external_id) if o["id"] == new.allegro_id]
    assert Decimal(live["price"]) == Decimal("220.00") and live["stock_available"] == 2


def test_without_updating_quantities_the_old_quantity_never_exceeds_the_stock(emulator, kettles, account):
    old = listed_then_archived(emulator, kettles, account)
    Product.objects.filter(pk=old.product_id).update(price=Decimal("200.00"), stock=2)

    offers_relist(offers=Offer.objects.filter(pk=old.pk), update_prices=False, update_quantities=False)

    new = Offer.objects.get(replaces=old)
    assert new.price == old.price == Decimal("110.00")  # the chosen option: keep the old price
    assert new.quantity == 2  # the old 5 would sell units the shop does not have


def test_relisting_twice_finds_the_replacement_instead_of_crashing(emulator, kettles, account):
    old = listed_then_archived(emulator, kettles, account)
    offers_relist(offers=Offer.objects.filter(pk=old.pk))
    [again] = offers_relist(offers=Offer.objects.filter(pk=old.pk))

    assert again.recreated == 0 and not again.failed
    assert Offer.objects.filter(replaces=old).count() == 1
    assert Offer.objects.get(replaces=old).allegro_id in again.skipped[0][1]  # "already listed again as …"
    assert len([o for o in remote(emulator, old.external_id) if o["status"] == "ACTIVE"]) == 1


def test_a_refused_replacement_is_corrected_and_published_on_the_next_relisting(
    emulator,
    kettles,
    account,
):
    old = listed_then_archived(emulator, kettles, account)
    Offer.objects.filter(pk=old.pk).update(title="Czajnik " + "bardzo " * 12)  # over 75 characters
    [first] = offers_relist(offers=Offer.objects.filter(pk=old.pk))

    assert first.recreated == 0 and first.failed and "75" in first.failed[0][1]
    assert not Offer.objects.filter(replaces=old).exists()  # validated locally: nothing recorded, nothing sent
    assert len(remote(emulator, old.external_id)) == 1

    Offer.objects.filter(pk=old.pk).update(title="Czajnik Bosch")
    [second] = offers_relist(offers=Offer.objects.filter(pk=old.pk))
    assert second.recreated == 1, second.failed


def test_remove_archived_deletes_the_old_record_and_keeps_the_history(emulator, kettles, account):
    old = listed_then_archived(emulator, kettles, account)
    old_id = old.allegro_id
    [result] = offers_relist(offers=Offer.objects.filter(pk=old.pk), remove_archived=True)

    assert result.recreated == 1
    assert not Offer.objects.filter(pk=old.pk).exists()
    new = Offer.objects.get(external_id=old.external_id)
    assert new.status == OfferStatus.ACTIVE and new.replaces_id is None
    entry = EventLogEntry.objects.get(action="offer relisted as new")
    assert entry.request_summary == {"replaces": old_id} and entry.offer_id == new.allegro_id


def _ended(emulator, kettles, account) -> Offer:
    product = kettle(kettles, description="<h2>Czajnik</h2><p>Stary opis.</p>")
    offer = offer_publish(offer=offer_prepare(product=product, account=account, overrides=GPSR))
    emulator.post(f"offers/{offer.allegro_id}/end", {"reason": "EXPIRATION"})
    Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.ENDED, renew_after_end=True)
    Product.objects.filter(pk=product.pk).update(description="<h2>Czajnik</h2><p>Nowy opis z promocją.</p>")
    return offer


def _remote_description(emulator, offer: Offer) -> str:
    with state_db(emulator) as conn:
        row = conn.execute("SELECT data FROM offers WHERE id = ?", (offer.allegro_id,)).fetchone()
    return json.dumps(json.loads(row["data"]).get("description"), ensure_ascii=False)


@pytest.mark.parametrize("update_descriptions", [True, False])
def test_automatic_renewal_updates_the_description_when_the_account_says_so(
    emulator,
    kettles,
    account,
    update_descriptions,
):
    emulator.set_settings(command_task_seconds=0)
    offer = _ended(emulator, kettles, account)
    account.sync_renew_ended = True
    account.sync_renew_descriptions = update_descriptions
    account.save()

    [run] = sync_run(account=account, only={"renew"})

    assert run.counts.get("renewed") == 1, run.errors
    text = _remote_description(emulator, offer)
    assert ("Nowy opis z promocją" in text) is update_descriptions
    assert ("Stary opis" in text) is not update_descriptions
