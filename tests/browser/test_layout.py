"""A shop owner's laptop (1366×768): the accounts list and the order page fit the window (no sideways
scrolling, nothing cut off), the offer template's category table shows no debug text, and the dashboard's
charts are drawn (inline SVG allowed by the Content Security Policy, no script)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allegro.checkouts.models import AllegroCheckout, OrderEventCursor
from allegro.descriptions.models import CategoryDescriptionTemplate, DescriptionTemplate
from orders.models import Order
from orders.services.orders import LineData, OrderData, order_create
from tests.factories import connect_account, make_category, make_customer, make_emulator_app, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def laptop(page):
    page.set_viewport_size(LAPTOP)
    return page


def _overflow(page) -> dict:
    """How far the page and its widest element stick out to the right of the window."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            let widest = null, right = 0;
            for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > right && getComputedStyle(el).position !== 'fixed') {
                    right = r.right; widest = el.tagName + '#' + el.id + '.' + el.className;
                }
            }
            // A box that scrolls or clips sideways (Django's list container) hides what sticks out of it.
            const clipped = [...document.querySelectorAll('body *')].filter(el => {
                const style = getComputedStyle(el).overflowX;
                if (el.clientWidth <= 1 || ['INPUT', 'SELECT', 'TEXTAREA', 'OPTION'].includes(el.tagName)) return false;  // screen-reader text, form fields scrolling their own value
                return (style === 'auto' || style === 'hidden' || style === 'scroll') && el.scrollWidth > el.clientWidth + 1;
            }).map(el => el.tagName + '#' + el.id + '.' + el.className + ' ' + el.scrollWidth + '>' + el.clientWidth);
            return {scroll: document.documentElement.scrollWidth, width, right: Math.round(right), widest, clipped};
        }"""
    )


def _assert_fits(page):
    result = _overflow(page)
    assert result["scroll"] <= result["width"], result
    assert result["right"] <= result["width"], result
    assert result["clipped"] == [], result


def _account_with_long_names(emulator):
    app = make_emulator_app(emulator)
    app.name = "Aplikacja sklepu internetowego Selly – produkcja (konto firmowe)"
    app.save()
    account = connect_account(emulator, app, name="Sklep Wielobranżowy Kowalski i Wspólnicy – konto główne")
    OrderEventCursor.objects.create(account=account, last_import_at=timezone.now(), caught_up_at=timezone.now())
    return account


def test_accounts_list_fits_a_laptop_screen(laptop, admin_login, emulator, screenshot):
    _account_with_long_names(emulator)
    base = admin_login()
    laptop.goto(base + reverse("admin:allegro_allegroaccount_changelist"))
    laptop.wait_for_selector("#result_list")
    screenshot("layout-01-konta-1366")
    _assert_fits(laptop)
    # Every column is inside the list's box, the last one (the authorisation button) included.
    last = laptop.locator("#result_list tbody tr td").last.bounding_box()
    box = laptop.locator("#changelist .results").bounding_box()
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 1


def test_order_page_fits_a_laptop_screen(laptop, admin_login, emulator, screenshot):
    account = _account_with_long_names(emulator)
    product = make_product(category=make_category("Dom i ogród"), name="Zestaw mebli ogrodowych " * 3)
    order = order_create(
        data=OrderData(
            customer=make_customer(email="bardzo.dlugi.adres.email.klienta@przyklad-firmy-handlowej.pl"),
            lines=[LineData(name=product.name, quantity=2, unit_price=Decimal("1299.99"), product=product)],
        )
    )
    Order.objects.filter(pk=order.pk).update(
        source="allegro",
        delivery_name="Katarzyna Przybyszewska-Wójcikiewicz",
        delivery_street="ul. Generała Władysława Andersa 123/45 lok. 6",
        delivery_city="Konstancin-Jeziorna",
        delivery_method_name="Allegro Paczkomaty InPost – pobranie, dostawa w 24 godziny",
        pickup_point_name="KON01M Paczkomat przy stacji paliw",
        buyer_message="Proszę o dostawę po 16:00, domofon nie działa, kod do bramy 1234. " * 2,
    )
    AllegroCheckout.objects.create(
        account=account,
        checkout_form_id="29ab1c5e-5f1f-11ef-8e12-9f0b1d0b1a4c",
        status="READY_FOR_PROCESSING",
        fulfillment_status="PROCESSING",
        buyer_login="kupujacy_z_bardzo_dlugim_loginem_2024",
        order=order,
        last_seen_at=timezone.now() - timedelta(minutes=5),
    )
    base = admin_login()
    laptop.goto(base + reverse("admin:orders_order_change", args=[order.pk]))
    laptop.wait_for_selector("#order_form")
    screenshot("layout-02-zamowienie-1366")
    _assert_fits(laptop)


def test_template_category_table_shows_names_not_debug_ids(laptop, admin_login, emulator):
    template = DescriptionTemplate.objects.create(name="Szablon ogrodowy")
    category = make_category("Meble ogrodowe")
    CategoryDescriptionTemplate.objects.create(category=category, template=template)
    base = admin_login()
    laptop.goto(base + reverse("admin:allegro_descriptiontemplate_change", args=[template.pk]))
    text = laptop.locator("#content").inner_text()
    assert f"{category.pk} -> {template.pk}" not in text and " -> " not in text
    assert "Meble ogrodowe" in text
    _assert_fits(laptop)


def test_dashboard_charts_are_drawn_and_fit(laptop, admin_login, emulator, screenshot):
    _account_with_long_names(emulator)
    base = admin_login()
    laptop.goto(base + reverse("admin:index"))
    charts = laptop.locator("#allegro-charts svg.allegro-chart")
    assert charts.count() == 5
    box = charts.first.bounding_box()
    assert box["width"] > 100 and box["height"] > 20  # laid out, not blocked
    screenshot("layout-03-pulpit-1366")
    _assert_fits(laptop)
