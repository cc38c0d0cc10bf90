""" "Wystaw na Allegro" in a real Chromium: the prefilled form, a missing required parameter refused locally with the
Polish message next to it, then ZAPISZ lists the offer, which the emulator's allegro.pl page shows."""

from decimal import Decimal

import pytest
from django.urls import reverse

from allegro.categories.models import CategoryForm, MappingEnvironment
from allegro.categories.services.categories import category_mapping_set, category_parameters_fetch
from allegro.offers.models import Offer, OfferStatus
from allegro_emulator.products_data import KETTLE_GTINS
from tests.factories import (
    add_product_image,
    connect_account,
    make_category,
    make_emulator_app,
    make_product,
    make_ready_to_list,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KETTLE, STAN, NOWY = "300407", "11323", "11323_1"


@pytest.fixture
def listing_setup(emulator, settings, tmp_path):

    settings.MEDIA_ROOT = tmp_path
    app = make_emulator_app(emulator)
    make_ready_to_list(connect_account(emulator, app))
    category = make_category("Czajniki")
    category_mapping_set(category=category, environment=MappingEnvironment.CUSTOM, allegro_category_id=KETTLE, app=app)
    category_parameters_fetch(app=app, allegro_id=KETTLE)
    CategoryForm.objects.create(allegro_category_id=KETTLE, values=[])  # "Stan" is left for the staff member
    product = make_product(
        category=category,
        name="Czajnik elektryczny Bosch TWK 3A011 stal nierdzewna 1,7 l",
        brand="Bosch",
        ean=KETTLE_GTINS[0],  # the kettle of Allegro's catalogue: it supplies the product parameters
        price=Decimal("149.99"),
        stock=3,
        description="<h2>Czajnik Bosch</h2><p>Gotuje <b>szybko</b> i cicho.</p>",
    )
    add_product_image(product, name="czajnik.jpg", size=(120, 90), color=(30, 120, 200), format="JPEG")
    return product


def test_single_listing_form_end_to_end(page, admin_login, listing_setup, emulator, screenshot):
    product = listing_setup
    base = admin_login()
    page.goto(base + reverse("admin:shop_product_change", args=[product.pk]))
    page.click("#ao-list-product")
    page.wait_for_selector("#ao-form")
    assert page.input_value("#id_title") == product.name
    assert page.locator("#ao-title-counter").inner_text() == f"{len(product.name)} / 75"
    assert page.input_value("#id_quantity") == "3"
    assert page.locator("#row-title .required-star").count() == 1
    assert "149.99" in page.locator("#row-price").inner_text() or "149,99" in page.locator("#row-price").inner_text()
    page.fill("#id_title", "Czajnik Bosch TWK 3A011 1,7 l")
    assert page.locator("#ao-title-counter").inner_text() == "29 / 75"
    page.fill("#id_responsible_producer_id", "Bosch Polska")
    page.fill("#id_safety_information", "Nie zanurzać w wodzie. Chronić przed dziećmi.")
    screenshot("listing-01-formularz")

    page.click("#ao-save")
    page.wait_for_selector("#ao-errors")
    row = page.locator(f"#row-param-{STAN}")
    assert "Ten parametr jest wymagany." in row.locator(".errorlist").inner_text()
    assert Offer.objects.count() == 0
    screenshot("listing-02-brak-parametru")

    page.select_option(f"#id-param-{STAN}", NOWY)
    page.click("#ao-save")
    page.wait_for_url("**/admin/allegro/offer/*/change/")
    offer = Offer.objects.get()
    assert offer.status == OfferStatus.ACTIVE
    assert page.locator("#ao-offer-id").inner_text() == offer.allegro_id
    screenshot("listing-03-aukcja")

    page.goto(page.get_attribute("#ao-web-link", "href"))
    assert "Czajnik Bosch TWK 3A011 1,7 l" in page.content()
    assert "164,99 zł" in page.content() or "149,99 zł" in page.content()
    screenshot("listing-04-oferta-na-allegro")
