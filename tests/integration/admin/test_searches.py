"""Searches on the big lists match what staff type, through indexed exact lookups where possible."""

from decimal import Decimal

import pytest
from django.urls import reverse

from allegro.checkouts.models import CustomerAllegroIdentity
from allegro.core.models import EventLogEntry
from orders.services.orders import LineData, OrderData, order_assign_customer, order_create
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.django_db


def _found(admin_client, url_name, term):
    return admin_client.get(reverse(url_name), {"q": term}).content.decode()


def test_product_search_by_sku_ean_and_name_fragment(admin_client):
    kettle = make_product(name="Czajnik elektryczny Bosch", sku="CZ-100")
    other = make_product(name="Toster Philips", sku="TO-200")
    assert kettle.sku in _found(admin_client, "admin:shop_product_changelist", "CZ-100")
    assert other.sku not in _found(admin_client, "admin:shop_product_changelist", "CZ-100")
    assert kettle.sku in _found(admin_client, "admin:shop_product_changelist", kettle.ean)
    page = _found(admin_client, "admin:shop_product_changelist", "czajnik")
    assert kettle.sku in page and other.sku not in page


def test_order_search_by_number_and_customer(admin_client):
    product = make_product()
    first = order_create(
        data=OrderData(
            customer=make_customer(last_name="Wiśniewska"),
            lines=[LineData(name="x", quantity=1, unit_price=Decimal("1.00"), product=product)],
        )
    )
    second = order_create(
        data=OrderData(
            customer=make_customer(last_name="Zieliński"),
            lines=[LineData(name="x", quantity=1, unit_price=Decimal("1.00"), product=product)],
        )
    )
    page = _found(admin_client, "admin:orders_order_changelist", first.number)
    assert f">{first.number}<" in page and f">{second.number}<" not in page
    page = _found(admin_client, "admin:orders_order_changelist", "zieliń")
    assert f">{second.number}<" in page and f">{first.number}<" not in page


def _order(product, **fields):
    customer = make_customer(last_name=fields.pop("last_name", "Nowak"), email=fields.pop("email"))
    line = LineData(name="x", quantity=1, unit_price=Decimal("1.00"), product=product)
    return order_create(data=OrderData(customer=customer, lines=[line], **fields))


def test_order_search_by_email_recipient_and_external_key(admin_client):
    product = make_product()
    by_mail = _order(product, email="anna.kowal@example.com")
    also_by_mail = _order(product, email="kowal.jan@example.com")
    by_recipient = _order(product, email="x@example.com", address={"delivery_name": "Piotr Kowalczyk"})
    by_key = _order(product, email="y@example.com", source="allegro", external_key="cf-77")
    page = _found(admin_client, "admin:orders_order_changelist", "KOWAL")
    assert all(f">{o.number}<" in page for o in (by_mail, also_by_mail, by_recipient))
    assert f">{by_key.number}<" not in page
    page = _found(admin_client, "admin:orders_order_changelist", "cf-77")
    assert f">{by_key.number}<" in page and f">{by_mail.number}<" not in page


def test_order_search_folds_polish_letters_and_keeps_fields_apart(admin_client):
    """ "ŻABIŃ" finds "Żabińska" on every database; a fragment spanning the surname and the recipient does not."""
    order = _order(make_product(), email="g@example.com", last_name="Żabińska", address={"delivery_name": "Ola Nowak"})
    assert f">{order.number}<" in _found(admin_client, "admin:orders_order_changelist", "ŻABIŃ")
    assert f">{order.number}<" in _found(admin_client, "admin:orders_order_changelist", "żabiń")
    assert f">{order.number}<" not in _found(admin_client, "admin:orders_order_changelist", "skaola")


def test_order_search_follows_a_renamed_and_a_reassigned_customer(admin_client):
    product = make_product()
    order = _order(product, email="stary@example.com", last_name="Kowalska")
    customer = order.customer
    customer.last_name, customer.email = "Wróblewska", "nowy@example.com"
    customer.save()  # as the customer's admin page saves it
    for term, found in (("wróbl", True), ("nowy@", True), ("kowalska", False), ("stary@", False)):
        assert (f">{order.number}<" in _found(admin_client, "admin:orders_order_changelist", term)) is found, term
    order_assign_customer(order=order, customer=make_customer(last_name="Dąbrowski", email="d@example.com"))
    assert f">{order.number}<" in _found(admin_client, "admin:orders_order_changelist", "dąbrow")
    assert f">{order.number}<" not in _found(admin_client, "admin:orders_order_changelist", "wróbl")
    order.refresh_from_db()
    order.delivery_name = "Jan Szymański"
    order.save(update_fields=["delivery_name"])  # as the order's admin page saves a changed recipient
    assert f">{order.number}<" in _found(admin_client, "admin:orders_order_changelist", "szymań")


def test_customer_search_by_allegro_login_lists_each_customer_once(admin_client):
    customer = make_customer(email="kupujacy@example.com")
    for seller in ("1", "2"):  # the same login on two seller accounts: still one row
        CustomerAllegroIdentity.objects.create(customer=customer, seller_id=seller, buyer_id="9", login="Kupujacy_PL")
    page = _found(admin_client, "admin:shop_customer_changelist", "kupujacy_pl")
    assert page.count("kupujacy@example.com</a>") == 1


def test_event_log_search_by_offer_product_and_order(admin_client):
    EventLogEntry.objects.create(kind="offer", action="a", message="wystawiona", offer_id="17000000001", product_id=5)
    EventLogEntry.objects.create(kind="order", action="b", message="zamówienie", order_id=77)
    assert "wystawiona" in _found(admin_client, "admin:allegro_eventlogentry_changelist", "17000000001")
    assert "wystawiona" in _found(admin_client, "admin:allegro_eventlogentry_changelist", "5")
    page = _found(admin_client, "admin:allegro_eventlogentry_changelist", "77")
    assert "zamówienie" in page and "wystawiona" not in page
