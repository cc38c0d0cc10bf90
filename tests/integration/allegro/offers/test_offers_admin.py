# ruff: noqa: F811 - the listing fixtures (account, kettles) are shared with test_offers.py by import
"""The panel side of single listing: the "Wystaw na Allegro" form, the offers list and detail, the product
page's offers and the product list's Allegro filter, the event log filters and its retention."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allegro.categories.models import CategoryForm
from allegro.core.models import EventLogEntry
from allegro.core.services.events import event_log_prune
from allegro.offers.models import NO_PRODUCT, Offer, OfferStatus
from allegro.offers.services.offers import offer_prepare, offer_publish
from allegro_emulator.products_data import KETTLE_SHARED_GTIN
from tests.factories import make_category, make_ean, make_product
from tests.integration.allegro.offers.test_offers import GPSR, KETTLE, NOWY, STAN, account, kettle, kettles  # noqa: F401


def form_data(page_context, **changes) -> dict:
    form = page_context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "description":
            value = field.widget.format_value(value)
        if name == "account":
            value = form.initial["account"]
        if value in (None, False):
            continue
        data[name] = "on" if value is True else value
    for row in page_context["images"]:
        if row["checked"]:
            data.setdefault("images", []).append(row["ref"])
            data[f"order-{row['ref']}"] = row["order"]
    for spec in page_context["parameter_fields"]:
        if spec.widget in ("select", "multiselect"):
            chosen = [o["id"] for o in spec.options if o["selected"]]
            if chosen:
                data[spec.html_name] = chosen
        elif spec.values:
            data[spec.html_name] = spec.values
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def staff(staff_client, account):
    session = staff_client.session
    session["allegro_current_account"] = account.pk
    session.save()
    return staff_client


def test_listing_form_checks_locally_then_publishes(staff, kettles, account, emulator):
    CategoryForm.objects.filter(allegro_category_id=KETTLE).update(values=[])
    product = kettle(kettles, name="Czajnik Bosch TWK", price=Decimal("100.00"), stock=4)
    url = reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Czajnik Bosch TWK"' in html and 'class="required-star"' in html
    assert "110.00" in html and "100" in html  # markup 10 % and the shop price hint
    assert page.context["form"].initial["quantity"] == 4

    data = form_data(page.context, **GPSR)
    since = emulator.requests()[-1]["seq"]
    refused = staff.post(url, data)
    assert refused.status_code == 200
    assert refused.context["parameter_fields"][0].errors  # "Stan" is required and first
    assert any(f.id == STAN and f.errors for f in refused.context["parameter_fields"])
    assert not [r for r in emulator.requests(since) if r["method"] == "POST"]  # nothing sent
    assert Offer.objects.count() == 0

    data[f"param-{STAN}"] = [NOWY]
    done = staff.post(url, data)
    assert done.status_code == 302, done.context and done.context["other_errors"]
    offer = Offer.objects.get()
    assert done.url == reverse("admin:allegro_offer_change", args=[offer.pk])
    assert offer.status == OfferStatus.ACTIVE and {"id": STAN, "valuesIds": [NOWY]} in offer.parameters
    assert offer.description == {}  # not edited: composed from the product at publish time

    detail = staff.get(done.url)
    body = detail.content.decode()
    assert f"{emulator.base_url}/oferta/{offer.allegro_id}" in body
    assert f'"id": "{product.sku}"' in detail.context["payload"] and "&quot;external&quot;" in body
    fetched = staff.get(done.url + "?fetch=1")
    assert fetched.context["allegro_view"] and offer.allegro_id in fetched.context["allegro_view"]


def test_allegro_messages_shown_next_to_fields(staff, kettles, account):
    product = kettle(kettles)
    url = reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff.get(url)
    data = form_data(page.context, safety_information="Nie zanurzać.", responsible_producer_id="Bosch")
    data["shipping_rates_id"] = account.shipping_rates_id
    data["title"] = "Czajnik elektryczny Bosch"  # Allegro's spec: 12 to 75 characters
    # A price list Allegro lacks is what Allegro refuses here and the local check lets through.
    account.choices_cache["shipping-rates"].append({"id": "brak", "name": "Nieistniejący"})
    account.save()
    data["shipping_rates_id"] = "brak"
    refused = staff.post(url, data)
    assert refused.status_code == 200
    assert "Nie znaleziono cennika dostawy." in refused.context["form"].errors["shipping_rates_id"]
    offer = Offer.objects.get()
    assert offer.status == OfferStatus.ERROR
    data["shipping_rates_id"] = account.shipping_rates_id
    data["offer"] = offer.pk
    done = staff.post(url, data)
    assert done.status_code == 302
    assert Offer.objects.get().status == OfferStatus.ACTIVE  # the same row, not a second one


@pytest.mark.slow
def test_offer_list_filters_and_constant_queries(staff, kettles, account, django_assert_max_num_queries):
    other = make_category("Inne")
    for i in range(6):
        product = make_product(category=other if i % 2 else kettles)
        Offer.objects.create(
            account=account,
            product=product,
            external_id=product.sku,
            title=f"Oferta {i}",
            category_id=KETTLE,
            price=Decimal("10.00"),
            allegro_id=str(1000 + i),
            status=OfferStatus.ACTIVE if i < 4 else OfferStatus.ENDED,
        )
    url = reverse("admin:allegro_offer_changelist")
    staff.get(url)
    with django_assert_max_num_queries(14) as small:
        staff.get(url)
    for i in range(20):
        product = make_product(category=kettles)
        Offer.objects.create(
            account=account, product=product, external_id=product.sku, title=f"Więcej {i}", category_id=KETTLE,
            price=Decimal("1.00"), allegro_id=str(2000 + i),
        )  # fmt: skip
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = staff.get(url)
    assert page.status_code == 200
    assert staff.get(url, {"status": "ended"}).context["cl"].result_count == 2
    assert staff.get(url, {"q": "1003"}).context["cl"].result_count == 1
    assert staff.get(url, {"category": KETTLE}).context["cl"].result_count == 26

    products = reverse("admin:shop_product_changelist")
    listed = staff.get(products, {"allegro": "listed"}).context["cl"].result_count
    ended = staff.get(products, {"allegro": "ended"}).context["cl"].result_count
    unlisted = staff.get(products, {"allegro": "unlisted"}).context["cl"].result_count
    assert (listed, ended, unlisted) == (4, 2, 22)  # drafts and ended ones are not listed
    with django_assert_max_num_queries(40) as product_list:
        staff.get(products)
    make_product(category=kettles)
    with django_assert_max_num_queries(len(product_list.captured_queries)):
        html = staff.get(products).content.decode()
    assert "Wystaw na Allegro" in html or "List on Allegro" in html


def test_product_page_lists_its_offers_and_event_log_filters(staff, kettles, account, emulator):
    product = kettle(kettles)
    offer = offer_publish(offer=offer_prepare(product=product, account=account, overrides=GPSR))
    page = staff.get(reverse("admin:shop_product_change", args=[product.pk])).content.decode()
    assert reverse("admin:allegro_offer_change", args=[offer.pk]) in page
    assert reverse("admin:allegro_offer_list_product", args=[product.pk]) in page
    events = reverse("admin:allegro_eventlogentry_changelist")
    by_offer = staff.get(events, {"offer_id": offer.allegro_id})
    assert by_offer.status_code == 200 and by_offer.context["cl"].result_count >= 1
    by_product = staff.get(events, {"product_id": product.pk})
    assert by_product.context["cl"].result_count >= 1


def test_event_log_retention(db, settings):
    settings.ALLEGRO_EVENT_LOG_RETENTION_DAYS = 90
    old = EventLogEntry.objects.create(kind="offer", action="x", message="stary")
    EventLogEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    EventLogEntry.objects.create(kind="offer", action="x", message="nowy")
    assert event_log_prune() == 1
    assert list(EventLogEntry.objects.values_list("message", flat=True)) == ["nowy"]


def test_ambiguous_ean_is_chosen_by_product_id_in_the_listing_form(staff, kettles, account, emulator):
    product = kettle(kettles, ean=KETTLE_SHARED_GTIN)
    url = reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff.get(url)
    match = page.context["catalogue"]
    assert match.state == "ambiguous" and len(match.products) == 2
    html = page.content.decode()
    for candidate in match.products:  # the choice: both catalogue products with their ids
        assert candidate.id in html and candidate.name in html
    data = form_data(page.context, **GPSR)
    data[f"param-{STAN}"] = [NOWY]

    refused = staff.post(url, data)  # the EAN alone: Allegro would not know which product
    assert refused.status_code == 200
    assert refused.context["form"].errors["catalogue_product_id"]
    assert Offer.objects.count() == 0

    chosen = match.products[1]
    done = staff.post(url, {**data, "catalogue_product_id": chosen.id})
    assert done.status_code == 302, done.context and done.context["other_errors"]
    offer = Offer.objects.get()
    assert offer.status == OfferStatus.ACTIVE
    assert offer.request_payload["productSet"][0]["product"] == {"id": chosen.id}
    (on_allegro,) = emulator.get(f"state/offers?external_id={product.sku}")["offers"]
    assert on_allegro["product_id"] == chosen.id


def test_catalogue_searched_by_phrase_from_the_listing_form_and_the_product_chosen(staff, kettles, account, emulator):
    product = kettle(kettles, ean=make_ean(990002))  # an EAN Allegro's catalogue does not know
    url = reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff.get(url)
    assert page.context["catalogue"].state == "unknown" and page.context["catalogue_found"] == []
    assert 'form="ao-catalogue-search-form"' in page.content.decode()

    found = staff.get(url, {"account": account.pk, "catalogue_phrase": "Philips"})
    products = found.context["catalogue_found"]
    assert products and all("Philips" in p.name for p in products)
    html = found.content.decode()
    assert all(p.id in html for p in products)
    assert emulator.requests()[-1]["path"].startswith("/sale/products")

    none = staff.get(url, {"account": account.pk, "catalogue_phrase": "zzzz nieistniejący"})
    assert none.context["catalogue_found"] == [] and 'id="ao-catalogue-none"' in none.content.decode()

    data = form_data(page.context, **GPSR)
    data[f"param-{STAN}"] = [NOWY]
    done = staff.post(url, {**data, "catalogue_product_id": products[0].id})
    assert done.status_code == 302, done.context and done.context["other_errors"]
    assert Offer.objects.get().request_payload["productSet"][0]["product"] == {"id": products[0].id}


def test_without_a_product_allegro_refuses_in_a_category_that_needs_one(staff, kettles, account, emulator):
    product = kettle(kettles)
    url = reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff.get(url)
    assert page.context["catalogue"].state == "known"
    data = form_data(page.context, **GPSR, catalogue_product_id=NO_PRODUCT)
    data[f"param-{STAN}"] = [NOWY]
    by_name = {f.name: f.html_name for f in page.context["parameter_fields"]}
    data[by_name["Pojemność"]] = "1.7"  # without a catalogue product its parameters are the offer's to give
    data[by_name["Kod producenta"]] = "TWK-17"
    refused = staff.post(url, data)
    assert refused.status_code == 200
    assert "nie wystawisz oferty bez powiązanego produktu" in " ".join(
        refused.context["form"].errors["catalogue_product_id"]
    )
    assert Offer.objects.get().request_payload["productSet"][0]["product"].get("id") is None
    assert not emulator.get(f"state/offers?external_id={product.sku}")["offers"]
