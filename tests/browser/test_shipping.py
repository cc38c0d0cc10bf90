"""Koszty dostawy and Mapowanie form dostawy in a real Chromium: the delivery-method select is searchable
and grouped (select2 from the admin, no inline scripts), "Zapisz" publishes the price list to Allegro, and the
mapping page's filter box narrows the rows."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from allegro.shipping.models import ShippingRateSet
from tests.factories import connect_account, make_emulator_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_price_list_with_a_searched_method_is_published(page, admin_login, emulator, screenshot):
    account = connect_account(emulator, make_emulator_app(emulator))
    base = admin_login()

    page.goto(base + reverse("admin:allegro_shippingrateset_add"))  # the first visit fetches Allegro's methods
    page.select_option("#id_account", str(account.pk))
    page.fill("#id_name", "Cennik z przeglądarki")
    row = page.locator("#rates-0")
    row.locator(".select2-selection").click()
    page.fill(".select2-search__field", "dpd pobr")
    results = page.locator(".select2-results__option[role=option]")
    assert results.count() >= 1
    group_labels = page.locator(".select2-results__group").all_inner_texts()
    assert [label.lower() for label in group_labels] == [gettext("cash on delivery").lower()]
    screenshot("shipping-01-wyszukiwanie-metody")
    results.filter(has_text="Kurier DPD pobranie").first.click()
    row.locator("input[name$=first_item_rate]").fill("19.90")
    row.locator("input[name$=max_quantity_per_package]").fill("3")
    page.locator("input[name=_save]").click()

    page.wait_for_url(base + reverse("admin:allegro_shippingrateset_changelist"))
    screenshot("shipping-02-lista-cennikow")
    rate_set = ShippingRateSet.objects.get(name="Cennik z przeglądarki")
    assert rate_set.allegro_id
    token = emulator.user_token(login="demo-seller")["access_token"]
    doc = emulator.api(token).get(emulator.url(f"/sale/shipping-rates/{rate_set.allegro_id}")).json()
    assert [(r["deliveryMethod"]["id"], r["firstItemRate"]["amount"]) for r in doc["rates"]] == [
        ("259b5c7a-9056-4c74-80ec-9bb2978cf293", "19.90")
    ]


def test_mapping_filter_box_narrows_the_rows(page, admin_login, emulator, screenshot):
    make_emulator_app(emulator)
    base = admin_login()
    page.goto(base + reverse("admin:allegro_deliverymethodmapping_changelist"))
    page.locator("button[form=allegro-mapping-refresh]").click()
    page.wait_for_selector(".allegro-mapping-row")
    rows = page.locator(".allegro-mapping-row")
    assert rows.count() == 34

    page.fill("#allegro-mapping-filter", "pobranie")
    assert page.locator(".allegro-mapping-row:visible").count() == 11
    page.fill("#allegro-mapping-filter", "paczkomat")
    visible = page.locator(".allegro-mapping-row:visible").all_inner_texts()
    assert visible and all("paczkomat" in text.lower() for text in visible)
    screenshot("shipping-03-mapowanie-filtr")
