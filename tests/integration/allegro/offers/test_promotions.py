# ruff: noqa: F811 - the listing fixtures (account, kettles) are imported from the offers tests and named as arguments
"""Paid promotion options against the emulator: the account's defaults bought at listing, an offer's own choice
priced by Allegro's fee preview before it is sent, command ids stored before sending and resent after a timeout,
and the emulator's request log showing the calls."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

import allegro.integration.client
from allegro.integration.client import AllegroRetryLater
from allegro.offers.models import Offer, PromotionCommand
from allegro.offers.services.offers import offer_prepare, offer_publish
from allegro.offers.services.promotions import promotion_cost, promotion_packages, promotions_send
from tests.integration.allegro.offers.test_offers import GPSR, account, kettle, kettles  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
PROMO_PUT = "/sale/offers/promo-options-commands/"


def calls(emulator, since: int = 0) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.requests(since)]


def last_seq(emulator) -> int:
    log = emulator.requests()
    return log[-1]["seq"] if log else 0


def listed(kettles, account) -> Offer:
    offer = offer_publish(offer=offer_prepare(product=kettle(kettles), account=account, overrides=GPSR))
    assert offer.allegro_id, offer.last_error
    return offer


def test_switches_map_to_allegros_packages():
    assert promotion_packages(wanted={"emphasized": True}) == ("emphasized10d", [])
    assert promotion_packages(wanted={"bold_title": True, "emphasized": True}) == ("promoPackage", [])
    assert promotion_packages(wanted={"department_page": True}) == (None, ["departmentPage"])
    assert promotion_packages(wanted={}) == (None, [])


def test_listing_buys_the_accounts_defaults_with_a_command_stored_first(kettles, account, emulator):
    account.promotion_emphasized = True
    account.promotion_department_page = True
    account.save()
    since = last_seq(emulator)

    offer = listed(kettles, account)

    command = PromotionCommand.objects.get()
    assert command.status == PromotionCommand.Status.COMPLETED and command.offer_ids == [offer.allegro_id]
    assert command.body["modification"] == {
        "modificationTime": "NOW",
        "basePackage": {"id": "emphasized10d"},
        "extraPackages": [{"id": "departmentPage"}],
    }
    assert command.report["taskCount"] == {"total": 1, "success": 1, "failed": 0}
    made = calls(emulator, since)
    put = ("PUT", f"{PROMO_PUT}{command.uuid}")
    assert put in made and made.index(("POST", "/sale/product-offers")) < made.index(put)
    assert made.index(put) < made.index(("GET", f"/sale/offers/{offer.allegro_id}/promo-options"))
    offer.refresh_from_db()
    assert offer.promotions_confirmed == ["departmentPage", "emphasized10d"]


def test_listing_without_paid_options_makes_no_promotion_call(kettles, account, emulator):
    since = last_seq(emulator)
    listed(kettles, account)
    assert not any("promo" in path for _m, path in calls(emulator, since))
    assert not PromotionCommand.objects.exists()


def test_cost_comes_from_allegros_fee_preview(kettles, account, emulator):
    offer = listed(kettles, account)
    since = last_seq(emulator)

    cost = promotion_cost(offer=offer, wanted={"emphasized": True, "department_page": True}, offers=3)

    assert [(x.package, x.amount) for x in cost.lines] == [
        ("emphasized10d", Decimal("12.90")),
        ("departmentPage", Decimal("39.90")),
    ]
    assert cost.lines[0].name == "Wyróżnienie" and cost.lines[0].cycle == "PT240H"
    assert cost.per_offer == Decimal("52.80") and cost.total == Decimal("158.40")
    assert calls(emulator, since) == [("GET", "/sale/offer-promotion-packages"), ("POST", "/pricing/offer-fee-preview")]
    assert not PromotionCommand.objects.exists()  # pricing buys nothing


def test_timeout_resends_the_stored_command_id_and_buys_once(kettles, account, emulator, monkeypatch):
    offer = listed(kettles, account)
    Offer.objects.filter(pk=offer.pk).update(promotions={"emphasized": True})
    # Every attempt times out (the emulator applies the first PUT after 1.5 s; the client waits 0.5 s).
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    emulator.add_fault(r"^/sale/offers/promo-options-commands/", method="PUT", delay_ms=1500, times=10)
    with pytest.raises(AllegroRetryLater):
        promotions_send(account=account, offers=Offer.objects.filter(pk=offer.pk))
    stored = PromotionCommand.objects.get()
    assert stored.status == PromotionCommand.Status.PENDING and stored.sent_at is not None

    emulator.clear_faults()
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 30)
    since = last_seq(emulator)
    promotions_send(account=account, offers=Offer.objects.filter(pk=offer.pk))  # the task's retry

    assert PromotionCommand.objects.count() == 1
    stored.refresh_from_db()
    assert stored.status == PromotionCommand.Status.COMPLETED
    puts = [p for m, p in calls(emulator, since) if m == "PUT"]
    assert puts == [f"{PROMO_PUT}{stored.uuid}"]  # the same id again, no second command
    assert len({r["path"] for r in emulator.requests() if r["method"] == "PUT" and PROMO_PUT in r["path"]}) == 1
    offer.refresh_from_db()
    assert offer.promotions_confirmed == ["emphasized10d"]
    # A second send finds nothing to buy.
    promotions_send(account=account, offers=Offer.objects.filter(pk=offer.pk))
    assert PromotionCommand.objects.count() == 1


def test_offer_page_prices_the_override_then_sends_exactly_that(
    kettles, account, emulator, staff_client, django_capture_on_commit_callbacks
):
    account.promotion_emphasized = True
    account.save()
    offer = listed(kettles, account)  # bought the account's default (emphasized10d)
    url = reverse("admin:allegro_offer_promotions", args=[offer.pk])
    page = staff_client.get(url).content.decode()
    assert "wyróżnienie oferty" in page.lower() and "emphasized10d" in page

    since = last_seq(emulator)
    priced = staff_client.post(url, {"department_page": "on", "price": "1"})
    html = priced.content.decode()
    assert "39,90 zł" in html and 'id="promo-send"' in html
    assert not any(m == "PUT" for m, _p in calls(emulator, since))  # shown, not bought
    key, cost = priced.context["priced"], priced.context["cost_json"]

    # Sending options other than the ones priced only prices them again.
    staff_client.post(url, {"emphasized": "on", "send": "1", "priced": key, "cost": cost})
    assert PromotionCommand.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"department_page": "on", "send": "1", "priced": key, "cost": cost})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.promotions == {"emphasized": False, "bold_title": False, "department_page": True}
    command = PromotionCommand.objects.latest("pk")
    assert command.packages == ["departmentPage"] and command.status == PromotionCommand.Status.COMPLETED
    assert json.loads(cost)["per_offer"] == "39.90" and command.cost["per_offer"] == "39.90"
    made = calls(emulator, since)
    assert made.index(("POST", "/pricing/offer-fee-preview")) < made.index(("PUT", f"{PROMO_PUT}{command.uuid}"))
    assert "departmentPage" in offer.promotions_confirmed


def test_the_listing_form_shows_what_the_accounts_options_will_cost_before_saving(
    kettles, account, emulator, staff_client
):
    product = kettle(kettles)
    url = reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff_client.get(url, {"account": account.pk})
    assert page.context["promotion_cost"] is None and 'id="ao-promotions"' not in page.content.decode()

    account.promotion_emphasized = True
    account.save()
    since = last_seq(emulator)
    page = staff_client.get(url, {"account": account.pk})
    cost = page.context["promotion_cost"]
    assert [line.package for line in cost.lines] == ["emphasized10d"] and cost.per_offer > Decimal("0")
    html = page.content.decode()
    shown = str(cost.per_offer).replace(".", ",")  # the Polish decimal comma
    assert 'id="ao-promotions"' in html and f'id="ao-promotions-total">{shown} zł' in html
    assert ("POST", "/pricing/offer-fee-preview") in calls(emulator, since)
    assert not PromotionCommand.objects.exists()  # priced, nothing bought before ZAPISZ
