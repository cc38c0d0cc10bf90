# ruff: noqa: F811 - the listing fixtures (account, kettles) are shared with test_offers.py by import
""" "Wystaw podobną aukcję" and "Kolejna aukcja tego przedmiotu" from the offers list, choosing and ordering a
product's images for an offer, and the category mapping of the sandbox environment."""

from decimal import Decimal

import pytest
from django.urls import reverse

from allegro.accounts.models import AllegroApp, Environment
from allegro.categories.models import CategoryForm, CategoryMapping, MappingEnvironment
from allegro.categories.selectors import allegro_category_id_get
from allegro.offers.models import Offer, OfferStatus
from allegro.offers.services.offers import offer_prepare, offer_publish
from tests.factories import add_product_image, make_category
from tests.integration.allegro.offers.test_offers import GPSR, KETTLE, NOWY, STAN, account, kettle, kettles  # noqa: F401
from tests.integration.allegro.offers.test_offers_admin import form_data, staff  # noqa: F401

pytestmark = pytest.mark.django_db


def listed(product, account, **overrides):
    offer = offer_publish(offer=offer_prepare(product=product, account=account, overrides={**GPSR, **overrides}))
    assert offer.status == OfferStatus.ACTIVE, offer.last_error
    return offer


def run_action(client, action: str, offer: Offer):
    return client.post(
        reverse("admin:allegro_offer_changelist"), {"action": action, "_selected_action": [str(offer.pk)]}
    )


def test_list_a_similar_offer_copies_the_offer(staff, kettles, account, emulator):
    product = kettle(kettles, name="Czajnik Bosch TWK", price=Decimal("100.00"), stock=5)
    first = listed(product, account, title="Czajnik Bosch — wersja specjalna", price=Decimal("123.45"))

    answer = run_action(staff, "list_similar", first)
    assert answer.status_code == 302
    assert f"copy_from={first.pk}" in answer.url and reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff.get(answer.url)
    initial = page.context["form"].initial
    assert initial["title"] == "Czajnik Bosch — wersja specjalna" and initial["price"] == Decimal("123.45")
    assert page.context["copy_from"] == first
    # The copied offer's pictures show chosen (they are the product's), and are not uploaded again.
    assert [row["ref"] for row in page.context["images"] if row["checked"]] == [
        f"product-image:{product.images.get().pk}"
    ]
    since = emulator.requests()[-1]["seq"]

    data = form_data(page.context, copy_from=str(first.pk), title="Czajnik Bosch — druga oferta", **GPSR)
    data[f"param-{STAN}"] = [NOWY]
    done = staff.post(answer.url, data)
    assert done.status_code == 302, done.context and (done.context["field_errors"], done.context["other_errors"])
    second = Offer.objects.exclude(pk=first.pk).get()
    assert not [r for r in emulator.requests(since) if r["path"] == "/sale/images"]
    assert second.request_payload["images"] == first.request_payload["images"]
    assert second.status == OfferStatus.ACTIVE and second.allegro_id != first.allegro_id
    assert second.price == Decimal("123.45") and second.title == "Czajnik Bosch — druga oferta"
    assert len(emulator.get(f"state/offers?external_id={product.sku}")["offers"]) == 2

    # Similar for another product: the content is copied, the title and images are that product's own.
    other = kettle(kettles, name="Czajnik Philips HD9350")
    page = staff.get(reverse("admin:allegro_offer_list_product", args=[other.pk]) + f"?copy_from={first.pk}")
    assert page.context["form"].initial["title"] == "Czajnik Philips HD9350"
    assert page.context["form"].initial["price"] == Decimal("123.45")
    assert [row["ref"] for row in page.context["images"] if row["checked"]] == [
        f"product-image:{other.images.get().pk}"
    ]


def test_another_offer_of_the_item_warns_about_the_live_one(staff, kettles, account, emulator):
    product = kettle(kettles, stock=5)
    first = listed(product, account)
    answer = run_action(staff, "list_again", first)
    assert answer.status_code == 302 and "again=1" in answer.url
    page = staff.get(answer.url)
    assert page.context["again"] == "1" and [o.pk for o in page.context["listed"]] == [first.pk]
    data = form_data(page.context, **GPSR)
    data[f"param-{STAN}"] = [NOWY]
    assert staff.post(answer.url, data).status_code == 302
    assert Offer.objects.filter(product=product, status=OfferStatus.ACTIVE).count() == 2

    # Not for an offer without a shop product.
    first.product = None
    first.save(update_fields=["product"])
    assert run_action(staff, "list_again", first).status_code == 302  # back to the list with a warning
    assert Offer.objects.count() == 2


def test_chosen_images_go_in_the_chosen_order(staff, kettles, account, emulator):
    CategoryForm.objects.filter(allegro_category_id=KETTLE).update(values=[{"id": STAN, "valuesIds": [NOWY]}])
    product = kettle(kettles)
    add_product_image(product, position=1, color=(200, 30, 30))
    add_product_image(product, position=2, color=(30, 200, 30))
    first, second, third = (f"product-image:{image.pk}" for image in product.images.order_by("position"))
    url = reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff.get(url)
    assert [row["ref"] for row in page.context["images"] if row["checked"]] == [first, second, third]

    data = form_data(page.context, **GPSR)
    data["images"] = [first, third]  # the second left out
    data[f"order-{third}"] = "1"  # and the third first
    data[f"order-{first}"] = "2"
    since = emulator.requests()[-1]["seq"]
    done = staff.post(url, data)
    assert done.status_code == 302, done.context and done.context["other_errors"]
    offer = Offer.objects.get()
    uploads = [r for r in emulator.requests(since) if r["path"] == "/sale/images"]
    assert len(uploads) == 2  # the left-out image is not uploaded
    third_pk, first_pk = (ref.split(":")[1] for ref in (third, first))
    assert offer.request_payload["images"] == [offer.image_urls[third_pk], offer.image_urls[first_pk]]
    assert offer.images == offer.request_payload["images"]


def test_a_sandbox_mapping_applies_to_the_sandbox_only():
    production = AllegroApp.objects.create(name="Allegro", environment=Environment.PRODUCTION, client_id="p")
    sandbox = AllegroApp.objects.create(name="Sandbox", environment=Environment.SANDBOX, client_id="s")
    shop = make_category("Czajniki")
    child = make_category("Czajniki szklane", parent=shop)
    CategoryMapping.objects.create(
        category=shop, environment=MappingEnvironment.PRODUCTION, allegro_category_id="300407"
    )
    # No sandbox mapping yet: the sandbox uses production's.
    assert allegro_category_id_get(category=child, app=sandbox) == "300407"
    CategoryMapping.objects.create(category=shop, environment=MappingEnvironment.SANDBOX, allegro_category_id="99001")
    assert allegro_category_id_get(category=child, app=sandbox) == "99001"  # inherited by the subcategory
    assert allegro_category_id_get(category=child, app=production) == "300407"
