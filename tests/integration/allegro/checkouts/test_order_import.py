"""Importing Allegro orders against the emulator: every scenario ends with exactly one shop
order per surviving checkout form, stock never below zero and no customer duplicated."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count

from allegro.checkouts.models import (
    AllegroCheckout,
    AllegroShipment,
    CheckoutQuarantine,
    CustomerAllegroIdentity,
    OrderEventCursor,
)
from allegro.checkouts.services import order_import
from allegro.checkouts.services.order_import import (
    ImportBusy,
    checkout_quarantine_retry,
    order_import_account,
    order_import_backfill,
    order_import_new_events,
    order_import_sweep,
)
from allegro.checkouts.services.writeback import order_add_tracking
from allegro.checkouts.tasks import shipment_send
from allegro.core.models import EventLogEntry, Lease
from allegro.integration.client import AllegroClient
from orders.models import Order, OrderStatus
from orders.selectors import orders_search
from orders.services.orders import order_change_status
from shop.models import Customer, Product, StockMovement
from tests.emulator_support import make_offer
from tests.factories import connect_account, make_customer, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.untidy]


# helpers -------------------------------------------------------------------------------------------------
def buy(emulator, offer_id=None, **body) -> dict:
    if offer_id is not None:
        body["offer_id"] = offer_id
    return emulator.post("purchases", body)


def knob(emulator, name: str, **body) -> dict:
    return emulator.post(f"order-events/{name}", body)


def started(account) -> OrderEventCursor:
    """A cursor at the very beginning of the journal (the test's purchases all count)."""
    cursor, _ = OrderEventCursor.objects.update_or_create(account=account, defaults={"last_event_id": "0"})
    return cursor


def assert_invariants():
    keys = Order.objects.values("external_key").annotate(n=Count("pk")).filter(n__gt=1)
    assert not keys.exists(), list(keys)
    assert not Product.objects.filter(stock__lt=0).exists()
    emails = Customer.objects.values("email").annotate(n=Count("pk")).filter(n__gt=1)
    assert not emails.exists()
    assert not CustomerAllegroIdentity.objects.values("seller_id", "buyer_id").annotate(n=Count("pk")).filter(n__gt=1)


@pytest.fixture
def shop(emulator):
    product = make_product(sku="SKU-A", stock=10, price=Decimal("49.99"))
    offer = make_offer(emulator, external_id="SKU-A", stock=100, price="49.99")
    return product, offer


# scenarios ------------------------------------------------------------------------------------------------
@pytest.mark.tidy_only(reason="compares every optional detail of the form (pickup point, address, message)")
def test_purchase_becomes_a_shop_order_with_all_details(emulator, connected_account, shop):
    product, offer = shop
    started(connected_account)
    bought = buy(
        emulator,
        offer,
        quantity=2,
        message="Proszę o szybką wysyłkę 🚀",
        pickup_point=True,
        invoice={"company": {"name": "Sklep Żółw sp. z o.o.", "nip": "5260250274"}},
    )
    result = order_import_new_events(account=connected_account)
    assert result.created == 1 and result.caught_up
    form = bought["checkout_form"]
    order = Order.objects.get()
    assert order.external_key == f"{connected_account.pk}:{form['id']}"
    assert order.source == "allegro" and order.status == OrderStatus.READY_TO_SHIP
    assert order.payment_status == "paid" and order.paid_amount == Decimal(form["summary"]["totalToPay"]["amount"])
    assert order.total == Decimal(form["summary"]["totalToPay"]["amount"])
    assert order.buyer_message == "Proszę o szybką wysyłkę 🚀"
    assert order.pickup_point_id == form["delivery"]["pickupPoint"]["id"]
    assert order.delivery_method_name == form["delivery"]["method"]["name"]
    assert order.invoice_required and order.invoice_nip == "5260250274"
    assert order.invoice_company == "Sklep Żółw sp. z o.o."
    line = order.lines.get()
    assert line.product == product and line.quantity == 2 and line.stock_reserved and not line.problem
    assert line.external_id == form["lineItems"][0]["id"]
    product.refresh_from_db()
    assert product.stock == 8
    customer = order.customer
    assert customer.email == form["buyer"]["email"] and customer.email.endswith("@allegromail.pl")
    assert customer.nip == "5260250274"
    identity = customer.allegro_identities.get()
    assert (identity.seller_id, identity.buyer_id, identity.login) == (
        connected_account.seller_id,
        form["buyer"]["id"],
        form["buyer"]["login"],
    )
    checkout = AllegroCheckout.objects.get()
    assert checkout.order == order and checkout.revision == form["revision"]
    assert form["id"] in checkout.web_url
    cursor = OrderEventCursor.objects.get(account=connected_account)
    assert cursor.last_event_id == bought["events"][-1] and cursor.caught_up_at and cursor.lag_seconds is not None

    # Nothing new: a second run changes nothing.
    again = order_import_new_events(account=connected_account)
    assert again.events == 0 and Order.objects.count() == 1


def test_new_account_starts_at_the_journal_head(emulator, connected_account, shop):
    _, offer = shop
    buy(emulator, offer)
    result = order_import_new_events(account=connected_account)
    assert result.created == 0 and Order.objects.count() == 0
    buy(emulator, offer)
    order_import_new_events(account=connected_account)
    assert Order.objects.count() == 1


def test_duplicated_ready_for_processing_events_make_one_order(emulator, connected_account, shop):
    product, offer = shop
    started(connected_account)
    form_id = buy(emulator, offer, quantity=3)["checkout_form_id"]
    order_import_new_events(account=connected_account)
    knob(emulator, "duplicate", checkout_form_id=form_id, times=3)
    result = order_import_new_events(account=connected_account)
    assert result.events == 3 and result.unchanged == 1 and result.created == 0
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock == 7
    assert StockMovement.objects.filter(product=product).count() == 1
    assert_invariants()


def test_late_events_below_the_cursor_are_recovered_by_the_sweep(emulator, connected_account, shop):
    _, offer = shop
    started(connected_account)
    hidden = buy(emulator, offer, skip_events=["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"])
    later = buy(emulator, offer)
    order_import_new_events(account=connected_account)
    assert Order.objects.count() == 1
    knob(emulator, "late", checkout_form_id=hidden["checkout_form_id"], before_id=later["events"][0])
    assert order_import_new_events(account=connected_account).events == 0  # below the cursor: unseen
    result = order_import_sweep(account=connected_account)
    assert result.created == 1
    assert set(Order.objects.values_list("external_key", flat=True)) == {
        f"{connected_account.pk}:{hidden['checkout_form_id']}",
        f"{connected_account.pk}:{later['checkout_form_id']}",
    }
    assert_invariants()


def _bulk_buy(emulator, offer_id: str, count: int) -> list[str]:
    body = emulator.post("purchases/bulk", {"purchases": [{"offer_id": offer_id}] * count})
    assert body["failed"] == 0, body
    return [r["checkout_form_id"] for r in body["results"]]


def _form_calls(emulator, since: int) -> tuple[int, int]:
    """(listing calls, single-form GETs) in the emulator's log since ``since``."""
    paths = [r["path"] for r in emulator.requests(since) if r["method"] == "GET"]
    listings = sum(1 for p in paths if p == "/order/checkout-forms")
    singles = sum(1 for p in paths if p.startswith("/order/checkout-forms/"))
    return listings, singles


@pytest.mark.slow
@pytest.mark.parametrize("offset_cap", [None, 40])
@pytest.mark.tidy_only(reason="counts list calls, which depend on optional fields of the forms")
def test_a_backlog_is_listed_once_not_again_for_every_batch(emulator, connected_account, monkeypatch, offset_cap):
    """After a sale or an outage thousands of forms share the listing window: each batch goes on where
    the previous one stopped (small pages here so that 200 purchases span several journal pages).
    With Allegro's offset cap reached, the listing goes on from the last form's updatedAt."""
    monkeypatch.setattr(order_import, "EVENTS_PAGE", 200)  # 66⅔ purchases: some straddle two pages
    monkeypatch.setattr(order_import, "BATCH_EVENTS", 100)  # 34 forms per batch: listed, not one by one
    monkeypatch.setattr(order_import, "LIST_PAGE", 20)
    if offset_cap:
        monkeypatch.setattr(order_import, "MAX_OFFSET", offset_cap)
    make_product(sku="SKU-B", stock=1000)
    offer = make_offer(emulator, external_id="SKU-B", stock=1000, price="10.00")
    started(connected_account)
    forms = _bulk_buy(emulator, offer, 200)
    since = emulator.requests()[-1]["seq"]

    result = order_import_new_events(account=connected_account)

    assert result.created == 200 and result.events == 600
    assert set(Order.objects.values_list("external_key", flat=True)) == {
        f"{connected_account.pk}:{form_id}" for form_id in forms
    }
    listings, singles = _form_calls(emulator, since)
    # 200 forms / 20 per page, plus the short page at the end (and a few pages read again after each
    # jump past the offset cap); starting over per batch would take ~37.
    assert listings <= (12 if offset_cap is None else 16), listings
    # A purchase whose events straddle two journal pages is served from the listing by its revision.
    assert singles == 0
    assert Product.objects.get(sku="SKU-B").stock == 800
    assert_invariants()


@pytest.mark.slow
def test_a_backlog_spread_over_hours_with_later_payments(emulator, connected_account, monkeypatch):
    """The worker was down for an afternoon: purchases every few minutes, half of them paid hours later
    (their forms moved to the end of the listing). Every order ends in its latest state."""
    monkeypatch.setattr(order_import, "EVENTS_PAGE", 100)
    monkeypatch.setattr(order_import, "BATCH_EVENTS", 50)
    monkeypatch.setattr(order_import, "LIST_PAGE", 20)
    make_product(sku="SKU-B", stock=1000)
    offer = make_offer(emulator, external_id="SKU-B", stock=1000, price="10.00")
    started(connected_account)
    forms = []
    for _ in range(80):
        forms.append(buy(emulator, offer, paid=False)["checkout_form_id"])
        emulator.clock(240)
    emulator.clock(2 * 3600)
    paid = forms[::2]
    for form_id in paid:
        knob(emulator, "pay", checkout_form_id=form_id)
    since = emulator.requests()[-1]["seq"]

    order_import_new_events(account=connected_account)

    orders = {o.external_key.split(":", 1)[1]: o for o in Order.objects.all()}
    assert set(orders) == set(forms)
    assert all(orders[f].status == OrderStatus.READY_TO_SHIP and orders[f].payment_status == "paid" for f in paid)
    assert all(orders[f].status == OrderStatus.AWAITING_PAYMENT for f in forms if f not in paid)
    listings, singles = _form_calls(emulator, since)
    assert listings + singles < 80, (listings, singles)  # fewer calls than one GET per form
    assert_invariants()


@pytest.mark.tidy_only(reason="asserts the modified delivery address")
def test_a_form_listed_before_it_changed_again_is_fetched_afresh(emulator, connected_account, monkeypatch):
    """A form listed ahead of its events, then modified before the next journal page is read: the
    copy from the listing is older than the BUYER_MODIFIED event and must not be imported for it."""
    monkeypatch.setattr(order_import, "EVENTS_PAGE", 60)
    monkeypatch.setattr(order_import, "BATCH_EVENTS", 60)
    make_product(sku="SKU-B", stock=100)
    offer = make_offer(emulator, external_id="SKU-B", stock=100, price="10.00")
    started(connected_account)
    forms = _bulk_buy(emulator, offer, 40)  # 120 events: journal pages of 20 purchases each
    changed = forms[30]
    original = AllegroClient.get_order_events
    pages, modified = [], {}

    def get_order_events(self, **kwargs):
        pages.append(kwargs)
        if len(pages) == 2:  # the first page's batch has listed all 40 forms by now
            address = {"street": "ul. Nowa 1", "city": "Gdańsk"}
            modified.update(knob(emulator, "modify", checkout_form_id=changed, address=address))
        return original(self, **kwargs)

    monkeypatch.setattr(AllegroClient, "get_order_events", get_order_events)
    order_import_new_events(account=connected_account)

    order = Order.objects.get(external_key=f"{connected_account.pk}:{changed}")
    assert (order.delivery_street, order.delivery_city) == ("ul. Nowa 1", "Gdańsk")
    assert AllegroCheckout.objects.get(checkout_form_id=changed).revision == modified["revision"]
    assert Order.objects.count() == 40
    assert_invariants()


def test_dropped_events_are_recovered_by_the_sweep(emulator, connected_account, shop):
    _, offer = shop
    started(connected_account)
    form_id = buy(emulator, offer)["checkout_form_id"]
    knob(emulator, "drop", checkout_form_id=form_id)
    order_import_new_events(account=connected_account)
    assert Order.objects.count() == 0
    order_import_sweep(account=connected_account)
    assert Order.objects.get().external_key.endswith(form_id)
    # The sweep again: nothing changes.
    assert order_import_sweep(account=connected_account).created == 0
    assert Order.objects.count() == 1


@pytest.mark.parametrize("imported_before_merge", [True, False])
@pytest.mark.tidy_only(reason="finds products by the line items' offer.external")
def test_merged_checkouts_move_stock_once(emulator, connected_account, shop, imported_before_merge):
    product, offer = shop
    started(connected_account)
    first = buy(emulator, offer, quantity=2, buyer={"login": "kupujacy_anna"})
    second = buy(emulator, offer, quantity=3, buyer={"login": "kupujacy_anna"})
    if imported_before_merge:
        order_import_new_events(account=connected_account)
        assert Order.objects.filter(status=OrderStatus.READY_TO_SHIP).count() == 2
    merged = knob(emulator, "merge", checkout_form_ids=[first["checkout_form_id"], second["checkout_form_id"]])
    order_import_new_events(account=connected_account)
    live = Order.objects.exclude(status=OrderStatus.CANCELLED)
    assert list(live.values_list("external_key", flat=True)) == [f"{connected_account.pk}:{merged['checkout_form_id']}"]
    assert live.get().lines.filter(stock_reserved=True).count() == 2
    product.refresh_from_db()
    assert product.stock == 5
    if imported_before_merge:
        assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 2
        # The reservations moved with the line items: no release, no second reservation.
        assert sorted(StockMovement.objects.filter(product=product).values_list("delta", flat=True)) == [-3, -2]
    assert Customer.objects.count() == 1
    assert_invariants()


def test_cancellations_give_the_stock_back(emulator, connected_account, shop):
    product, offer = shop
    started(connected_account)
    paid = buy(emulator, offer, quantity=2)
    unpaid = buy(emulator, offer, quantity=1, paid=False)
    order_import_new_events(account=connected_account)
    assert Order.objects.get(external_key__endswith=unpaid["checkout_form_id"]).status == OrderStatus.AWAITING_PAYMENT
    product.refresh_from_db()
    assert product.stock == 7
    knob(emulator, "cancel", checkout_form_id=paid["checkout_form_id"], type="BUYER_CANCELLED")
    knob(emulator, "cancel", checkout_form_id=unpaid["checkout_form_id"], type="AUTO_CANCELLED")
    result = order_import_new_events(account=connected_account)
    assert result.cancelled == 2
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    product.refresh_from_db()
    assert product.stock == 10
    # Repeated cancel events release nothing more.
    knob(emulator, "duplicate", checkout_form_id=paid["checkout_form_id"], type="BUYER_CANCELLED")
    order_import_new_events(account=connected_account)
    product.refresh_from_db()
    assert product.stock == 10


def test_created_only_when_paid_if_configured(emulator, connected_account, shop):
    product, offer = shop
    cursor = started(connected_account)
    cursor.create_orders_at = "ready"
    cursor.save()
    form_id = buy(emulator, offer, paid=False)["checkout_form_id"]
    order_import_new_events(account=connected_account)
    assert Order.objects.count() == 0 and AllegroCheckout.objects.get().status == "FILLED_IN"
    knob(emulator, "pay", checkout_form_id=form_id)
    order_import_new_events(account=connected_account)
    assert Order.objects.get().status == OrderStatus.READY_TO_SHIP
    product.refresh_from_db()
    assert product.stock == 9


def test_buyer_modification_and_payment_update_the_order(emulator, connected_account, shop):
    _, offer = shop
    started(connected_account)
    form_id = buy(emulator, offer, paid=False)["checkout_form_id"]
    order_import_new_events(account=connected_account)
    knob(emulator, "modify", checkout_form_id=form_id, address={"street": "ul. Źródlana 7", "city": "Łódź"})
    knob(emulator, "pay", checkout_form_id=form_id)
    order_import_new_events(account=connected_account)
    order = Order.objects.get()
    assert (order.delivery_street, order.delivery_city) == ("ul. Źródlana 7", "Łódź")
    assert order.status == OrderStatus.READY_TO_SHIP and order.payment_status == "paid"


def test_a_changed_recipient_is_found_by_the_orders_search(emulator, connected_account, shop):
    _, offer = shop
    started(connected_account)
    form_id = buy(emulator, offer, paid=False)["checkout_form_id"]
    order_import_new_events(account=connected_account)
    knob(emulator, "modify", checkout_form_id=form_id, address={"firstName": "Grażyna", "lastName": "Źdźbło"})
    order_import_new_events(account=connected_account)
    order = Order.objects.get()
    assert order.delivery_name == "Grażyna Źdźbło"
    assert list(orders_search(queryset=Order.objects.all(), term="źdźb")) == [order]
    assert list(orders_search(queryset=Order.objects.all(), term=order.customer.email)) == [order]


@pytest.mark.tidy_only(reason="finds products by the line items' offer.external")
def test_unknown_hidden_and_short_products_are_imported_and_flagged(emulator, connected_account):
    make_product(sku="HIDDEN", stock=5, visible=False)
    make_product(sku="SHORT", stock=1)
    offers = [make_offer(emulator, external_id=sku, stock=50) for sku in ("NOPE", "HIDDEN", "SHORT")]
    started(connected_account)
    buy(emulator, line_items=[{"offer_id": o, "quantity": 2} for o in offers])
    buy(emulator, make_offer(emulator, external_id=None, stock=5))
    order_import_new_events(account=connected_account)
    assert Order.objects.count() == 2
    assert all(o.needs_attention for o in Order.objects.all())
    order = Order.objects.get(lines__sku="NOPE")
    problems = dict(order.lines.values_list("sku", "problem"))
    assert problems["NOPE"] and problems["HIDDEN"] and problems["SHORT"]
    assert Product.objects.get(sku="SHORT").stock == 1  # not oversold
    assert_invariants()


class Killed(BaseException):
    """A worker dying mid-import (not an Exception: nothing catches it)."""


@pytest.mark.tidy_only(reason="finds products by the line items' offer.external")
def test_worker_killed_mid_import_resumes_without_duplicates(emulator, connected_account, shop, monkeypatch):
    product, offer = shop
    started(connected_account)
    forms = [buy(emulator, offer)["checkout_form_id"] for _ in range(6)]
    monkeypatch.setattr(order_import, "BATCH_EVENTS", 6)  # two purchases (3 events each) per transaction
    real = order_import._import_one
    calls = {"n": 0}

    def dying(batch, item, result):
        calls["n"] += 1
        if calls["n"] == 4:
            raise Killed()
        return real(batch, item, result)

    monkeypatch.setattr(order_import, "_import_one", dying)
    with pytest.raises(Killed):
        order_import_new_events(account=connected_account)
    assert Order.objects.count() == 2  # the first batch committed with its cursor, the second rolled back
    # The dead worker's lease would still be there: let it run out.
    Lease.objects.update_or_create(
        key=f"import:{connected_account.pk}", defaults={"owner": "dead", "expires_at": "2000-01-01T00:00:00Z"}
    )
    assert OrderEventCursor.objects.get(account=connected_account).taken_over_at is None
    monkeypatch.setattr(order_import, "_import_one", real)
    order_import_new_events(account=connected_account)
    assert sorted(Order.objects.values_list("external_key", flat=True)) == sorted(
        f"{connected_account.pk}:{f}" for f in forms
    )
    product.refresh_from_db()
    assert product.stock == 4
    assert_invariants()
    # The import's row says it was taken over from the dead one, and the event log says so too.
    assert OrderEventCursor.objects.get(account=connected_account).taken_over_at is not None
    assert EventLogEntry.objects.filter(account=connected_account, action="order_import_taken_over").count() == 1
    # The next import holds a fresh lease: no second take-over is recorded.
    order_import_new_events(account=connected_account)
    assert EventLogEntry.objects.filter(account=connected_account, action="order_import_taken_over").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.tidy_only(reason="finds products by the line items' offer.external")
def test_two_workers_importing_the_same_account(emulator, allegro_app, shop):
    product, offer = shop
    account = connect_account(emulator, allegro_app)
    started(account)
    make_customer(email="staly@example.com")
    for i in range(8):
        buy(emulator, offer, buyer={"login": f"kupujacy_{i % 3}"})
    outcomes, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            outcomes.append(order_import_account(account=account, sweep=True))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    order_import_account(account=account, sweep=True)  # whoever was busy: the next round finds nothing new
    assert Order.objects.count() == 8
    assert Customer.objects.count() == 4
    product.refresh_from_db()
    assert product.stock == 2
    assert_invariants()


def test_lease_keeps_a_second_import_out(connected_account):
    started(connected_account)
    with order_import._import_lease(connected_account):
        with pytest.raises(ImportBusy):
            order_import_new_events(account=connected_account)
        assert order_import_account(account=connected_account).busy


def test_returning_buyer_and_known_email_reuse_the_customer(emulator, connected_account, shop):
    _, offer = shop
    known = make_customer(email="Ewa.Nowak@Example.com")
    started(connected_account)
    buy(emulator, offer, buyer={"login": "ewa_n", "email": "ewa.nowak@example.com"})
    buy(emulator, offer, buyer={"login": "ewa_n"})
    buy(emulator, offer, buyer={"login": "ktos_inny"})
    order_import_new_events(account=connected_account)
    assert Order.objects.filter(customer=known).count() == 2
    assert Customer.objects.count() == 2
    assert_invariants()


def test_quarantine_and_retry(emulator, connected_account, shop):
    _, offer = shop
    started(connected_account)
    good = buy(emulator, offer)["checkout_form"]
    broken = {**good, "id": "8c6e4f7a-1b2c-4d3e-9f00-aa11bb22cc33", "status": "PAID_MAYBE"}
    broken["buyer"] = {**good["buyer"], "email": None}
    emulator.post("checkout-forms", {"checkout_form": broken})
    result = order_import_new_events(account=connected_account)
    assert result.created == 1 and result.quarantined == 1
    quarantine = CheckoutQuarantine.objects.get()
    assert quarantine.checkout_form_id == broken["id"]
    assert "status" in quarantine.reason and "buyer.email" in quarantine.reason
    assert not AllegroCheckout.objects.filter(checkout_form_id=broken["id"]).exists()
    assert Order.objects.count() == 1

    # Still broken: the retry keeps it in quarantine; fixed on Allegro: the retry imports it.
    assert not checkout_quarantine_retry(quarantine=quarantine)
    fixed = {**broken, "status": "READY_FOR_PROCESSING", "buyer": good["buyer"]}
    fixed["lineItems"] = [{**good["lineItems"][0], "id": "0b1e4f7a-1b2c-4d3e-9f00-aa11bb22cc33"}]
    emulator.post("checkout-forms", {"checkout_form": fixed, "events": []})
    assert checkout_quarantine_retry(quarantine=quarantine)
    assert Order.objects.count() == 2
    assert CheckoutQuarantine.objects.get().resolved_at is not None


@pytest.mark.tidy_only(reason="asserts the purchase dates (lineItems[].boughtAt)")
def test_backfill_imports_a_date_range(emulator, connected_account, shop):
    _, offer = shop
    OrderEventCursor.objects.create(account=connected_account)
    buy(emulator, offer, bought_at="2026-01-05T10:00:00Z")
    buy(emulator, offer, bought_at="2026-02-05T10:00:00Z")
    from datetime import UTC, datetime

    result = order_import_backfill(
        account=connected_account, date_from=datetime(2026, 1, 1, tzinfo=UTC), date_to=datetime(2026, 1, 31, tzinfo=UTC)
    )
    assert result.created == 1
    assert Order.objects.get().placed_at.month == 1


def test_status_changes_and_tracking_go_back_to_allegro(
    emulator, connected_account, shop, django_capture_on_commit_callbacks, staff_user
):
    _, offer = shop
    started(connected_account)
    form_id = buy(emulator, offer)["checkout_form_id"]
    order_import_new_events(account=connected_account)
    order = Order.objects.get()

    def allegro_form():
        return next(f for f in emulator.get("state/orders")["checkout_forms"] if f["id"] == form_id)

    with django_capture_on_commit_callbacks(execute=True):
        order_change_status(order=order, status=OrderStatus.PROCESSING, actor=staff_user)
    assert allegro_form()["fulfillment_status"] == "PROCESSING"

    # The buyer changes the form meanwhile: the stored revision is stale, the PUT gets 409 and retries.
    knob(emulator, "modify", checkout_form_id=form_id)
    with django_capture_on_commit_callbacks(execute=True):
        order_change_status(order=order, status=OrderStatus.SENT, actor=staff_user)
    assert allegro_form()["fulfillment_status"] == "SENT"

    with django_capture_on_commit_callbacks(execute=True):
        shipment = order_add_tracking(order=order, carrier_id="INPOST", waybill="620000000000000000000001")
        shipment_send.delay_on_commit(shipment.pk)  # what the tracking-number page does after the service
    shipment = AllegroShipment.objects.get(pk=shipment.pk)
    assert shipment.sent_at and shipment.allegro_id
    order.refresh_from_db()
    assert order.tracking_number == "620000000000000000000001"

    # Changes that came from Allegro are not echoed back.
    before = emulator.stats()
    order_import_new_events(account=connected_account)
    assert emulator.stats().get("by_route", before.get("by_route")) is not None
    assert Order.objects.get().status == OrderStatus.SENT


def test_a_round_that_imported_something_leaves_one_event_log_row(emulator, connected_account, shop):
    from allegro.core.models import EventLogEntry

    _, offer = shop
    started(connected_account)
    buy(emulator, offer)
    buy(emulator, offer)
    order_import_account(account=connected_account)
    order_import_account(account=connected_account)  # nothing new: no row

    entry = EventLogEntry.objects.get(action="orders_imported")
    assert entry.account == connected_account and entry.success
    assert "2" in entry.message and Order.objects.count() == 2


def test_allegro_sync_command(emulator, connected_account, shop, capsys):
    _, offer = shop
    started(connected_account)
    buy(emulator, offer)
    call_command("allegro_sync", "--only", "orders", "--account", connected_account.login)
    assert Order.objects.count() == 1
    assert "1" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("allegro_sync", "--only", "orders", "--account", "nie-ma-takiego-konta")


def test_line_follows_the_panels_offer_when_the_sku_no_longer_matches(emulator, connected_account):
    from allegro.offers.models import Offer, OfferStatus

    product = make_product(sku="NOWY-SKU", stock=5)
    allegro_offer = make_offer(emulator, external_id="STARY-SKU", stock=10, price="20.00")
    Offer.objects.create(
        account=connected_account,
        product=product,
        allegro_id=allegro_offer,
        external_id="STARY-SKU",
        status=OfferStatus.ACTIVE,
        title="Oferta",
        category_id="1",
        price=Decimal("20.00"),
    )
    started(connected_account)
    buy(emulator, allegro_offer, quantity=2)
    order_import_new_events(account=connected_account)

    line = Order.objects.get().lines.get()
    assert line.product == product and line.stock_reserved and not line.problem
    assert Product.objects.get(pk=product.pk).stock == 3
