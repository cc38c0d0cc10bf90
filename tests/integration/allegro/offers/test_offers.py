"""Single listing against the emulator: prepare, local problems, publish (201 and 202), Allegro's 422 mapped to
form fields, no duplicate offer after a timeout that happened after the POST was applied, triage, end."""

import time
from decimal import Decimal

import pytest

from allegro.categories.models import CategoryForm, MappingEnvironment
from allegro.categories.services.categories import category_mapping_set, category_parameters_fetch
from allegro.core.models import EventLogEntry
from allegro.integration.client import AllegroRetryLater
from allegro.offers.models import Offer, OfferStatus
from allegro.offers.services.offers import offer_end, offer_prepare, offer_problems, offer_publish, offers_triage
from allegro_emulator.products_data import KETTLE_GTINS
from tests.factories import add_product_image, make_category, make_product, make_ready_to_list

KETTLE = "300407"  # Czajniki elektryczne: Stan (offer, required), Marka, Pojemność (product, required)
STAN, NOWY = "11323", "11323_1"
GPSR = {"responsible_producer_id": "Bosch Polska", "safety_information": "Nie zanurzać w wodzie."}


pytestmark = pytest.mark.untidy


@pytest.fixture
def account(connected_account):
    return make_ready_to_list(
        connected_account, location_city="Poznań", location_post_code="60-166", price_markup_percent=Decimal("10.00")
    )


@pytest.fixture
def kettles(account, allegro_app, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category = make_category("Czajniki")
    category_mapping_set(
        category=category, environment=MappingEnvironment.CUSTOM, allegro_category_id=KETTLE, app=allegro_app
    )
    category_parameters_fetch(app=allegro_app, allegro_id=KETTLE)
    # The common values staff keep for the category (a partial form: product parameters come from the catalogue).
    CategoryForm.objects.create(allegro_category_id=KETTLE, values=[{"id": STAN, "valuesIds": [NOWY]}])
    return category


def kettle(category, **fields):
    fields.setdefault("brand", "Bosch")
    fields.setdefault("ean", KETTLE_GTINS[0])  # a kettle Allegro's catalogue knows: it supplies the product parameters
    fields.setdefault("description", "<h2>Czajnik</h2><p>Szybko gotuje <b>wodę</b>.</p>")
    product = make_product(category=category, stock=fields.pop("stock", 5), **fields)
    add_product_image(product)
    return product


def test_prepare_fills_everything_from_product_and_account(kettles, account):
    long_name = "Czajnik elektryczny Bosch TWK 3A011 ze stali nierdzewnej 1,7 l 2400 W z filtrem antywapiennym"
    product = kettle(kettles, name=long_name, price=Decimal("100.00"), stock=7)
    offer = offer_prepare(product=product, account=account)

    assert offer.pk is None
    assert len(offer.title) <= 75 and long_name.startswith(offer.title) and not offer.title.endswith(" ")
    assert offer.category_id == KETTLE
    assert {"id": STAN, "valuesIds": [NOWY]} in offer.parameters
    assert any(p["id"] == "248811" for p in offer.product_parameters)  # Marka from the product's brand
    assert offer.catalogue_product_id == product.ean
    assert offer.price == Decimal("110.00") and offer.quantity == 7 and offer.format == "BUY_NOW"
    assert offer.images == [f"product-image:{product.images.get().pk}"]
    assert offer.shipping_rates_id == account.shipping_rates_id
    assert offer.return_policy_id == account.return_policy_id
    assert offer.external_id == product.sku

    untracked = kettle(kettles, stock=None)
    account.default_quantity = 3
    assert offer_prepare(product=untracked, account=account).quantity == 3
    changed = offer_prepare(
        product=product, account=account, overrides={"price_change_percent": -10, "duration": "PT240H"}
    )
    assert changed.price == Decimal("99.00") and changed.duration == "PT240H"


def test_local_problems_name_the_fields(kettles, account):
    CategoryForm.objects.filter(allegro_category_id=KETTLE).update(values=[])  # no "Stan" any more
    product = make_product(category=kettles, ean="", brand="Bosch")  # no EAN, no images
    offer = offer_prepare(product=product, account=account)
    problems = offer_problems(offer=offer)
    codes = {p.code: p for p in problems}
    assert "missing_parameter:Stan" in codes and codes["missing_parameter:Stan"].param_id == STAN
    assert codes["missing_parameter:Stan"].field == "parameters"
    assert "Stan" in codes["missing_parameter:Stan"].message
    assert "missing_ean" in codes  # no catalogue link and "Pojemność" (product, required) missing
    assert "no_images" in codes and codes["no_images"].field == "images"
    assert "missing_responsible_producer" in codes and "missing_safety_information" in codes

    offer.title = "x" * 80
    offer.price = Decimal("10.001")
    offer.quantity = 11  # stock is 10
    fields = {p.field for p in offer_problems(offer=offer)}
    assert {"title", "price", "quantity"} <= fields

    for short in ("Czajnik Bosch", "Ab cd ef"):  # two words; three words but 8 characters
        offer.title = short
        (problem,) = [p for p in offer_problems(offer=offer) if p.field == "title"]
        assert problem.code == "title_too_short" and "12" in problem.message
    offer.title = "Czajnik elektryczny Bosch"
    assert "title" not in {p.field for p in offer_problems(offer=offer)}


@pytest.mark.tidy_only(reason="asserts the confirmed quantity and price, optional in the answer")
def test_publish_sync_creates_one_active_offer(kettles, account, emulator):
    product = kettle(kettles)
    offer = offer_prepare(product=product, account=account, overrides=GPSR)
    assert offer_problems(offer=offer) == []
    offer = offer_publish(offer=offer)

    assert offer.status == OfferStatus.ACTIVE, offer.last_error
    assert offer.allegro_id and offer.confirmed_status == "ACTIVE"
    assert offer.confirmed_quantity == 5 and offer.confirmed_price == offer.price
    assert offer.images[0].startswith(emulator.base_url + "/img/")  # uploaded, ref replaced
    assert offer.request_payload["external"] == {"id": product.sku}
    assert offer.request_payload["productSet"][0]["product"] == {
        "id": product.ean,
        "idType": "GTIN",
        "parameters": offer.product_parameters,
    }
    state = emulator.get(f"state/offers?external_id={product.sku}")["offers"]
    assert [o["id"] for o in state] == [offer.allegro_id] and state[0]["status"] == "ACTIVE"
    entry = EventLogEntry.objects.get(action="offer_published")
    assert entry.offer_id == offer.allegro_id and entry.product_id == product.pk

    # Publishing the same row again does nothing.
    offer_publish(offer=offer)
    assert len(emulator.get(f"state/offers?external_id={product.sku}")["offers"]) == 1


def test_publish_async_follows_the_operation(kettles, account, emulator):
    emulator.set_settings(async_offers=True, async_offer_seconds=1)
    product = kettle(kettles)
    offer = offer_publish(offer=offer_prepare(product=product, account=account, overrides=GPSR))
    assert offer.status == OfferStatus.ACTIVE, offer.last_error
    paths = [r["path"] for r in emulator.requests()]
    assert any("/operations/" in p for p in paths)
    assert [o["id"] for o in emulator.get(f"state/offers?external_id={product.sku}")["offers"]] == [offer.allegro_id]


def test_allegro_refusal_is_mapped_to_fields(kettles, account, emulator):
    product = kettle(kettles)
    offer = offer_prepare(
        product=product,
        account=account,
        overrides={"title": "a" * 80, "shipping_rates_id": "no-such-price-list", "responsible_producer_id": ""},
    )
    offer = offer_publish(offer=offer)  # the local check is the caller's job: here Allegro refuses
    assert offer.status == OfferStatus.ERROR
    assert offer.pk and not offer.allegro_id
    fields = offer.last_error_fields
    assert "Tytuł oferty może mieć najwyżej 75 znaków." in fields["title"]
    assert "Nie znaleziono cennika dostawy." in fields["shipping_rates_id"]
    assert "Podaj producenta odpowiedzialnego (GPSR)." in fields["responsible_producer_id"]
    assert emulator.get(f"state/offers?external_id={product.sku}")["offers"] == []
    assert EventLogEntry.objects.filter(action="offer_publish_failed", product_id=product.pk, success=False).exists()

    # Fixed and sent again: the same row becomes the offer.
    offer.title, offer.shipping_rates_id = "Czajnik elektryczny Bosch", account.shipping_rates_id
    offer.responsible_producer_id = GPSR["responsible_producer_id"]
    offer.safety_information = GPSR["safety_information"]
    offer = offer_publish(offer=offer)
    assert offer.status == OfferStatus.ACTIVE, offer.last_error_fields
    assert Offer.objects.count() == 1


def test_timeout_after_the_post_was_applied_never_creates_a_second_offer(kettles, account, emulator, monkeypatch):
    import allegro.integration.client

    product = kettle(kettles)
    offer = offer_prepare(product=product, account=account, overrides=GPSR)
    # The emulator applies the POST after 1.5 s; the client gave up after 0.5 s.
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    emulator.add_fault("^/sale/product-offers$", method="POST", delay_ms=1500, times=1)
    with pytest.raises(AllegroRetryLater):
        offer_publish(offer=offer)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVATING and not offer.allegro_id and offer.request_payload

    deadline = time.monotonic() + 10
    while not emulator.get(f"state/offers?external_id={product.sku}")["offers"]:
        assert time.monotonic() < deadline, "the emulator never applied the POST"
        time.sleep(0.2)
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 30)
    since = emulator.requests()[-1]["seq"]

    offer = offer_publish(offer=Offer.objects.get(pk=offer.pk))  # the retry (e.g. the task run again)
    on_emulator = emulator.get(f"state/offers?external_id={product.sku}")["offers"]
    assert len(on_emulator) == 1
    assert offer.allegro_id == on_emulator[0]["id"] and offer.status == OfferStatus.ACTIVE
    calls = [(r["method"], r["path"]) for r in emulator.requests(since)]
    assert ("GET", "/sale/offers") in calls and ("POST", "/sale/product-offers") not in calls
    assert EventLogEntry.objects.filter(action="offer_adopted", offer_id=offer.allegro_id).exists()


def test_retry_does_not_adopt_an_offer_linked_to_another_row(kettles, account, emulator):
    product = kettle(kettles)
    first = offer_publish(offer=offer_prepare(product=product, account=account, overrides=GPSR))
    assert first.status == OfferStatus.ACTIVE
    # A second offer of the same product ("Kolejna aukcja tego przedmiotu") whose first attempt was interrupted
    # before the POST: the lookup finds only the first offer, which belongs to another row, so it posts.
    second = offer_prepare(product=product, account=account, overrides=GPSR)
    second.status = OfferStatus.ACTIVATING
    second.request_payload = {"name": second.title}
    second.save()
    second = offer_publish(offer=second)
    assert second.status == OfferStatus.ACTIVE and second.allegro_id != first.allegro_id
    assert len(emulator.get(f"state/offers?external_id={product.sku}")["offers"]) == 2


def test_triage_groups_problems_with_fix_links(kettles, account, django_assert_max_num_queries):
    ready = [kettle(kettles) for _ in range(3)]
    no_ean = [kettle(kettles, ean="") for _ in range(2)]
    unmapped = kettle(make_category("Bez mapowania"))
    for product in ready + no_ean:
        product.refresh_from_db()
    account.gpsr_producer = "Bosch"
    account.gpsr_safety_information = "OK"
    account.save()
    products = ready + no_ean + [unmapped]
    offers_triage(products=products, account=account)  # warm the category caches
    with django_assert_max_num_queries(25):
        triage = offers_triage(products=products, account=account)
    assert triage.total == 6 and len(triage.ready) == 3 and triage.blocked_count == 3
    groups = {g.code: g for g in triage.groups}
    assert {p.pk for p in groups["missing_ean"].products} == {p.pk for p in no_ean}
    assert [p.pk for p in groups["unmapped_category"].products] == [unmapped.pk]
    assert groups["unmapped_category"].items[0].fix_url.endswith("/allegro/categorymapping/")
    assert groups["missing_ean"].items[0].fix_url.endswith(f"/shop/product/{no_ean[0].pk}/change/")
    assert triage.summary.startswith("3 ")
    assert "EAN" in triage.summary


def test_offer_end_sends_one_publication_command(kettles, account, emulator):
    product = kettle(kettles)
    offer = offer_publish(offer=offer_prepare(product=product, account=account, overrides=GPSR))
    offer = offer_end(offer=offer, reason="stan 0 po zamówieniu #123")
    assert offer.status == OfferStatus.ENDED and offer.ended_reason == "stan 0 po zamówieniu #123"
    deadline = time.monotonic() + 10
    while emulator.get(f"state/offers?external_id={product.sku}")["offers"][0]["status"] != "ENDED":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert EventLogEntry.objects.filter(action="offer_ended", offer_id=offer.allegro_id).exists()
