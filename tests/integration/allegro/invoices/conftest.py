"""An Allegro order imported from the emulator (the buyer asked for a company invoice) and the seller's
data for invoices of its account."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.invoices.models import InvoiceSeller
from orders.models import Order
from tests.emulator_support import make_offer
from tests.factories import make_product

BUYER_INVOICE = {
    "company": {"name": "Żółta Łódź Sp. z o.o.", "nip": "5260250274"},
    "street": "ul. Źródlana 7",
    "city": "Łódź",
    "zipCode": "90-001",
}


def seller_data(account) -> InvoiceSeller:
    return InvoiceSeller.objects.create(
        account=account,
        name="Sklep Testowy Sp. z o.o.",
        nip="7791011327",
        street="ul. Główna 1",
        post_code="60-001",
        city="Poznań",
    )


def import_order(emulator, account, *, sku: str = "SKU-INV", price: str = "123.00", quantity: int = 2, **purchase):
    make_product(sku=sku, stock=50, price=Decimal(price))
    offer = make_offer(emulator, external_id=sku, stock=100, price=price)
    OrderEventCursor.objects.get_or_create(account=account, defaults={"last_event_id": "0"})
    form = emulator.post("purchases", {"offer_id": offer, "quantity": quantity, **purchase})["checkout_form"]
    order_import_new_events(account=account)
    return Order.objects.get(external_key__endswith=form["id"]), form


@pytest.fixture
def allegro_order(emulator, connected_account):
    """(the shop order, the checkout form) of a purchase with a company invoice, seller data filled in."""
    seller_data(connected_account)
    return import_order(emulator, connected_account, invoice=BUYER_INVOICE)
