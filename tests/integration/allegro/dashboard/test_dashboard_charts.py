"""The dashboard's charts: orders and sales per day per account (last 30 days), offers by status, sync runs
per day and the order journal's lag, drawn as inline SVG whose bars carry exactly the data, each chart
linking to the list behind it, with a constant number of queries."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allegro.accounts.models import AllegroAccount
from allegro.checkouts.models import AllegroCheckout, OrderEventCursor
from allegro.dashboard.selectors import dashboard_accounts, dashboard_daily
from allegro.dashboard.widgets import Series, daily_bars_svg
from allegro.offers.models import OfferStatus
from allegro.sync.models import SyncRun
from orders.models import Order, OrderStatus
from orders.services.orders import LineData, OrderData, order_create
from tests.factories import make_allegro_offer, make_category, make_customer, make_product

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def _order(account, *, days_ago: int, total: str, status=None, checkouts=1):
    product = make_product(category=make_category("Dom"))
    order = order_create(
        data=OrderData(
            customer=make_customer(),
            lines=[LineData(name="x", quantity=1, unit_price=Decimal(total), product=product)],
        )
    )
    placed = timezone.now() - timedelta(days=days_ago)
    Order.objects.filter(pk=order.pk).update(placed_at=placed, total=Decimal(total), status=status or "new")
    for n in range(checkouts):
        AllegroCheckout.objects.create(
            account=account, checkout_form_id=f"cf-{order.pk}-{n}", status="READY_FOR_PROCESSING", order=order
        )
    return order


def _run(account, *, days_ago: int, status):
    run = SyncRun.objects.create(account=account, status=status, steps=["offers"])
    SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(days=days_ago))


def _account(app, name):
    account = AllegroAccount.objects.create(app=app, name=name, login=name.lower())
    OrderEventCursor.objects.create(account=account, caught_up_at=timezone.now() - timedelta(seconds=120))
    return account


class _Svgs(HTMLParser):
    """The SVG elements of a page as XML documents, with the link around each."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.svgs: list[tuple[str, str]] = []
        self._href = ""
        self._depth = 0
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and not self._depth:
            self._href = dict(attrs).get("href", "")
        if tag == "svg":
            self._depth += 1
        if self._depth:
            self._buffer.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if self._depth:
            self._buffer.append(f"</{tag}>")
        if tag == "svg" and self._depth:
            self._depth -= 1
            if not self._depth:
                self.svgs.append((self._href, "".join(self._buffer)))
                self._buffer = []

    def handle_data(self, data):
        if self._depth:
            self._buffer.append(data)

    def handle_entityref(self, name):
        if self._depth:
            self._buffer.append(f"&{name};")

    def handle_charref(self, name):
        if self._depth:
            self._buffer.append(f"&#{name};")


def _charts(page: str) -> dict[str, tuple[str, ET.Element]]:
    parser = _Svgs()
    parser.feed(page.split('id="allegro-charts"')[1].split('class="base-svgs"')[0])
    out = {}
    for href, text in parser.svgs:
        svg = ET.fromstring(text)
        out.setdefault(svg.get("aria-label"), []).append((href, svg))
    return out


def _bars(svg, series=None):
    return {
        (rect.get("data-day"), rect.get("data-series")): rect.get("data-value")
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("data-day") and (series is None or rect.get("data-series") == series)
    }


def test_chart_bars_carry_the_data_of_each_day(admin_client, allegro_app):
    first, second = _account(allegro_app, "Alfa"), _account(allegro_app, "Beta")
    _order(first, days_ago=0, total="100.00")
    _order(first, days_ago=0, total="23.50", checkouts=2)  # merged checkouts: still one order
    _order(first, days_ago=3, total="10.00")
    _order(first, days_ago=3, total="999.00", status=OrderStatus.CANCELLED)  # not a sale
    _order(first, days_ago=40, total="5.00")  # older than 30 days
    _order(second, days_ago=1, total="7.00")
    _run(first, days_ago=0, status=SyncRun.Status.DONE)
    _run(first, days_ago=0, status=SyncRun.Status.FAILED)
    _run(first, days_ago=2, status=SyncRun.Status.FAILED)
    for i, status in enumerate([OfferStatus.ACTIVE, OfferStatus.ACTIVE, OfferStatus.ENDED, OfferStatus.ERROR]):
        make_allegro_offer(account=first, external_id=f"A-{i}", status=status)

    page = admin_client.get(reverse("admin:index")).content.decode()
    charts = _charts(page)
    today = timezone.localdate()
    day = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731

    (orders_href, orders), (second_href, second_orders) = charts["Zamówienia dziennie"]
    assert _bars(orders) == {(day(0), "orders"): "2", (day(3), "orders"): "1"}
    assert _bars(second_orders) == {(day(1), "orders"): "1"}
    assert (
        orders_href
        == reverse("admin:orders_order_changelist") + f"?allegro_account={first.pk}&placed_at__gte={day(29)}"
    )
    (_href, sales), _second = charts["Sprzedaż dziennie"]
    assert _bars(sales) == {(day(0), "sales"): "123.50", (day(3), "sales"): "10.00"}
    assert "123,50 zł" in ET.tostring(sales, encoding="unicode")
    (runs_href, runs), _second = charts["Synchronizacja dziennie"]
    assert _bars(runs) == {(day(0), "done"): "1", (day(0), "failed"): "1", (day(2), "failed"): "1"}
    assert (
        runs_href
        == reverse("admin:allegro_syncrun_changelist") + f"?account__id__exact={first.pk}&status__exact=failed"
    )
    (_href, offers), _second = charts["Aukcje"]
    segments = {r.get("data-series"): r.get("data-value") for r in offers.iter(f"{SVG}rect") if r.get("data-series")}
    assert segments == {"active": "2", "ended": "1", "error": "1"}
    links = [a.get("href") for a in offers.iter(f"{SVG}a")]
    assert f"{reverse('admin:allegro_offer_changelist')}?account__id__exact={first.pk}&status=active" in links
    (_href, lag), _second = charts["Opóźnienie dziennika zamówień"]
    gauge = [r for r in lag.iter(f"{SVG}rect") if r.get("data-limit")][0]
    assert 115 <= int(gauge.get("data-value")) <= 200 and gauge.get("data-limit") == "900"
    assert "3 zamówienia w 30 dni" in page and "2 przebiegi z błędami w 30 dni" in page


def test_the_order_link_lists_exactly_the_accounts_orders(admin_client, allegro_app):
    first, second = _account(allegro_app, "Alfa"), _account(allegro_app, "Beta")
    mine = _order(first, days_ago=1, total="10.00", checkouts=2)
    other = _order(second, days_ago=1, total="10.00")
    response = admin_client.get(reverse("admin:orders_order_changelist"), {"allegro_account": first.pk})
    page = response.content.decode()
    assert mine.number in page and other.number not in page
    assert response.context["cl"].result_count == 1  # one row, not one per checkout
    assert admin_client.get(reverse("admin:orders_order_changelist")).context["cl"].result_count == 2


def test_charts_keep_a_constant_number_of_queries(admin_client, allegro_app):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(reverse("admin:index")).status_code == 200
        return len(ctx.captured_queries)

    account = _account(allegro_app, "Alfa")
    _order(account, days_ago=1, total="10.00")
    queries()  # the first page of a session also fills per-process caches (content types, the session row)
    few = queries()
    for n in range(5):
        more = _account(allegro_app, f"Konto {n}")
        for days_ago in range(0, 30, 3):
            _order(more, days_ago=days_ago, total="1.00")
            _run(more, days_ago=days_ago, status=SyncRun.Status.FAILED)
    assert queries() == few


def test_daily_series_cover_thirty_days_oldest_first(allegro_app):
    account = _account(allegro_app, "Alfa")
    rows = dashboard_accounts()
    dashboard_daily(rows=rows)
    (row,) = rows
    assert row.account == account
    assert len(row.daily.days) == 30 and row.daily.days[-1] == timezone.localdate()
    assert row.daily.days == sorted(row.daily.days)


def test_bars_are_scaled_to_the_highest_day_and_escape_their_text():
    today = timezone.localdate()
    days = [today - timedelta(days=1), today]
    svg = ET.fromstring(daily_bars_svg(days=days, series=[Series("orders", "<b>x</b>", [2, 4])], title="T & <U>"))
    heights = [float(r.get("height")) for r in svg.iter(f"{SVG}rect")]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert svg.get("aria-label") == "T & <U>"
    assert all(t.text and "<b>" in t.text for t in svg.iter(f"{SVG}title") if "x" in (t.text or ""))
