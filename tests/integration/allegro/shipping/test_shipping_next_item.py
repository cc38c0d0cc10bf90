"""Koszty dostawy: the "kolejna sztuka" (next item) rate goes to Allegro and back, is checked against the
method's bounds under its own field, and the price lists kept on Allegro arrive without a manual fetch."""

from decimal import Decimal

import pytest
from django.urls import reverse

from allegro.shipping.models import AllegroDeliveryMethod, ShippingRateSet
from allegro.shipping.services.shipping import (
    RateData,
    ShippingRatesInvalid,
    delivery_method_refresh,
    shipping_rate_set_import,
    shipping_rate_set_save,
)
from allegro.shipping.tasks import shipping_rates_import_all
from tests.integration.allegro.shipping.test_shipping import (
    DEMO_SET_NAME,
    KURIER,
    PACZKOMATY,
    _allegro_set,
    _errors_of_row,
    _form_data,
)

pytestmark = pytest.mark.django_db


def test_next_item_rate_goes_to_allegro_and_back(emulator, connected_account, staff_client):
    delivery_method_refresh(app=connected_account.app)
    data = _form_data(account=connected_account, name="Cennik z kolejną sztuką", rates=[(PACZKOMATY, "9.99", 5)])
    data["rates-0-next_item_rate"] = "2.50"
    response = staff_client.post(reverse("admin:allegro_shippingrateset_add"), data)
    assert response.status_code == 302, (
        response.context["inline_admin_formsets"][0].formset.errors,
        response.context["inline_admin_formsets"][0].formset.non_form_errors(),
        response.context["adminform"].form.errors,
    )
    rate_set = ShippingRateSet.objects.get(name="Cennik z kolejną sztuką")
    on_allegro = _allegro_set(emulator, rate_set.allegro_id)
    assert on_allegro["rates"][0]["nextItemRate"] == {"amount": "2.50", "currency": "PLN"}
    assert rate_set.rates.get().next_item_rate == Decimal("2.50")

    # Read back from Allegro (an import overwrites the local copy with what Allegro keeps).
    rate_set.rates.update(next_item_rate=Decimal("0.00"))
    shipping_rate_set_import(account=connected_account)
    assert rate_set.rates.get().next_item_rate == Decimal("2.50")

    # Not given: 0.00, as before.
    plain = _form_data(account=connected_account, name="Bez kolejnej sztuki", rates=[(KURIER, "16.99", 10)])
    assert staff_client.post(reverse("admin:allegro_shippingrateset_add"), plain).status_code == 302
    assert ShippingRateSet.objects.get(name="Bez kolejnej sztuki").rates.get().next_item_rate == Decimal("0.00")


def test_next_item_rate_outside_the_bounds_stands_under_its_field(emulator, connected_account, staff_client):
    delivery_method_refresh(app=connected_account.app)
    method = AllegroDeliveryMethod.objects.get(app=connected_account.app, allegro_id=PACZKOMATY)
    bounds = method.constraints["nextItemRate"]
    with pytest.raises(ShippingRatesInvalid) as invalid:
        shipping_rate_set_save(
            rate_set=ShippingRateSet(account=connected_account),
            name="Za drogo",
            rates=[
                RateData(
                    delivery_method_id=PACZKOMATY,
                    first_item_rate=Decimal("9.99"),
                    max_quantity_per_package=5,
                    next_item_rate=Decimal(bounds["max"]) + 1,
                )
            ],
        )
    assert [(i.index, i.field) for i in invalid.value.issues] == [(0, "next_item_rate")]
    assert not ShippingRateSet.objects.exists()

    data = _form_data(account=connected_account, name="Za drogo", rates=[(PACZKOMATY, "9.99", 5)])
    data["rates-0-next_item_rate"] = str(Decimal(bounds["max"]) + 1)
    response = staff_client.post(reverse("admin:allegro_shippingrateset_add"), data)
    assert response.status_code == 200
    assert list(_errors_of_row(response, 0)) == ["next_item_rate"]


def test_price_lists_on_allegro_arrive_on_schedule(emulator, connected_account, staff_client):
    assert not ShippingRateSet.objects.exists()
    assert shipping_rates_import_all() == 1  # beat's task; the per-account import runs eagerly in tests
    assert ShippingRateSet.objects.get(account=connected_account).name == DEMO_SET_NAME
    page = staff_client.get(reverse("admin:allegro_shippingrateset_changelist"))
    assert DEMO_SET_NAME in page.content.decode()
    shipping_rates_import_all()  # again: updated in place, not a second copy
    assert ShippingRateSet.objects.count() == 1
