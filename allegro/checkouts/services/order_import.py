"""Importing Allegro purchases as shop orders: every journal event may arrive twice or never, and a bad
payload is quarantined, never lost.

The journal (``/order/events``) is read from the account's cursor in ascending order; the checkout
forms it names are fetched (one listing call per hundred forms when many changed, read once for a
whole backlog, else one GET each) and turned into shop orders through the ``orders`` services. A
batch of forms and the cursor move in ONE transaction, so a worker killed half-way leaves the cursor
before the forms it did not finish and a re-run redoes exactly those; every side effect also has a
uniqueness key (the order's ``external_key``, the checkout row, the stock movement reference), so a
repeat is a no-op.

Allegro repeats, delays, drops and merges events: a form seen again with the same revision changes
nothing; late and dropped events are caught by a sweep of ``/order/checkout-forms?updatedAt.gte``;
line items moved into a merged form take their stock reservation with them (no double count).
A payload that does not parse is quarantined with the reason and never half-written.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import (
    AllegroCheckout,
    CheckoutQuarantine,
    CreateOrdersAt,
    CustomerAllegroIdentity,
    OrderEventCursor,
)
from allegro.core.models import EventKind
from allegro.core.services.events import event_context, event_log
from allegro.core.services.leases import HeldLease, LeaseBusy, LeaseLost, lease_hold
from allegro.integration.client import AllegroClient, AllegroNotFound, AllegroValidationError
from allegro.integration.schemas.orders import (
    CheckoutForm,
    CheckoutFormInvalid,
    LineItem,
    form_id_of,
    parse_checkout_form,
    parse_order_event,
    payload_for_storage,
)
from allegro.offers.models import Offer
from allegro.shipping.selectors import delivery_method_shop_get
from orders.models import Order, OrderLine, OrderSource, OrderStatus, PaymentStatus, PaymentType, order_search_text
from orders.services.orders import (
    LineData,
    OrderData,
    order_change_status,
    order_create,
    order_reserve_stock,
)
from shop.models import Customer, DeliveryMethod, Product
from shop.signals import product_changes_batched

logger = logging.getLogger("allegro.orders")

EVENTS_PAGE = 1000  # /order/events limit (max 1000)
BATCH_EVENTS = 300  # events per transaction (their forms and the cursor commit together)
LIST_WHEN_MORE_THAN = 15  # forms per batch above which one listing call per 100 forms beats a GET each
LIST_PAGE = 100  # /order/checkout-forms limit (max 100)
MAX_OFFSET = 9900
LIST_MARGIN = timedelta(seconds=60)  # a form's updatedAt and its event's occurredAt are not the same moment
LIST_AHEAD = timedelta(seconds=2)  # listed further than this past a batch's last event: only later updates
LISTED_KEEP = 2000  # listed forms kept for the next batches (~20 MB)
SWEEP_MARGIN = timedelta(minutes=10)  # updatedAt can be older than the moment we last looked
SWEEP_EVERY = timedelta(minutes=5)

PAYMENT_TYPES = {
    "ONLINE": PaymentType.ONLINE,
    "WIRE_TRANSFER": PaymentType.BANK_TRANSFER,
    "CASH_ON_DELIVERY": PaymentType.CASH_ON_DELIVERY,
    "EXTENDED_TERM": PaymentType.DEFERRED,
    "SPLIT_PAYMENT": PaymentType.OTHER,
}


class ImportBusy(Exception):
    """Another import of the same account is running (it holds the lease)."""


@dataclass
class ImportResult:
    account_id: int
    events: int = 0
    forms: int = 0
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    recorded: int = 0
    quarantined: int = 0
    busy: bool = False
    caught_up: bool = False
    errors: list[str] = field(default_factory=list)

    def add(self, other: ImportResult) -> None:
        for name in ("events", "forms", "created", "updated", "cancelled", "unchanged", "recorded", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors

    def summary(self) -> str:
        if self.busy:
            return _("another import of this account is running")
        return _(
            "%(events)d events, %(forms)d checkout forms: %(created)d orders created, %(updated)d updated, "
            "%(cancelled)d cancelled, %(quarantined)d quarantined"
        ) % {
            "events": self.events,
            "forms": self.forms,
            "created": self.created,
            "updated": self.updated,
            "cancelled": self.cancelled,
            "quarantined": self.quarantined,
        }


def checkout_external_key(*, account: AllegroAccount, checkout_form_id: str) -> str:
    return f"{account.pk}:{checkout_form_id}"


def checkout_stock_reference(*, account: AllegroAccount, checkout_form_id: str, line_item_id: str) -> str:
    # One reservation per (account, checkout form, line item): a re-import never moves stock twice.
    return f"allegro:{account.pk}:{checkout_form_id}:{line_item_id}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _cut(value: str | None, length: int) -> str:
    return (value or "")[:length]


# --- the lease: one import per account at a time ---------------------------------------------------------


def order_cursor_for(*, account: AllegroAccount) -> OrderEventCursor:
    """The account's cursor row (created, not started, on first use)."""
    cursor = OrderEventCursor.objects.filter(account=account).first()
    if cursor is not None:
        return cursor
    try:
        with transaction.atomic():
            return OrderEventCursor.objects.create(account=account)
    except IntegrityError:
        return OrderEventCursor.objects.get(account=account)


@contextmanager
def _import_lease(account: AllegroAccount) -> Iterator[HeldLease]:
    """Hold the account's import lease (``import:<account id>``): exactly one of several workers gets it, a
    heartbeat renews it while the import works, and it runs out one lease after its holder dies."""
    order_cursor_for(account=account)
    try:
        with lease_hold(key=f"import:{account.pk}") as lease:
            if lease.taken_over:
                OrderEventCursor.objects.filter(account=account).update(taken_over_at=timezone.now())
                event_log(
                    kind=EventKind.ORDER,
                    action="order_import_taken_over",
                    message=_(
                        "The order import took over from an import that stopped without finishing (its worker "
                        "died); it goes on from the last saved position of the journal."
                    ),
                    account=account,
                )
            yield lease
    except LeaseBusy:
        raise ImportBusy() from None


def _hold_lease(account: AllegroAccount, lease: HeldLease) -> OrderEventCursor:
    """Inside a batch transaction: renew the lease (or stop if it was lost) and lock the cursor row, so the
    batch commits only while the lease is still this worker's."""
    lease.fence()
    return OrderEventCursor.objects.select_for_update().get(account=account)


# --- one batch of checkout forms --------------------------------------------------------------------------


@dataclass
class _Item:
    checkout_form_id: str
    payload: Any
    event_id: str = ""
    fetch_error: str = ""


@dataclass
class _Batch:
    """Everything a batch needs from the database, read in a handful of queries (not per order)."""

    account: AllegroAccount
    cursor: OrderEventCursor
    parsed: dict[str, CheckoutForm | CheckoutFormInvalid]
    checkouts: dict[str, AllegroCheckout]
    quarantined: set[str]
    identities: dict[str, CustomerAllegroIdentity]
    customers: dict[str, Customer]
    products: dict[str, Product]
    offer_products: dict[str, Product]
    holders: dict[str, OrderLine]
    methods: dict[str, DeliveryMethod | None]

    @classmethod
    def load(cls, *, account, cursor, items: list[_Item], methods: dict) -> _Batch:
        """Parse the items and read, in a constant number of queries, everything their import needs (the rows
        that may change are locked)."""
        parsed = _parse_items(items)
        forms = [f for f in parsed.values() if isinstance(f, CheckoutForm)]
        ids = list(parsed)
        checkouts = _load_checkouts(account, ids)
        quarantined = set(
            CheckoutQuarantine.objects.filter(
                account=account, checkout_form_id__in=ids, resolved_at__isnull=True
            ).values_list("checkout_form_id", flat=True)
        )
        identities, customers = _load_buyers(account, forms)
        products, offer_products = _load_products(account, forms)
        holders = _load_stock_holders(account, forms) if checkouts else {}
        return cls(
            account,
            cursor,
            parsed,
            checkouts,
            quarantined,
            identities,
            customers,
            products,
            offer_products,
            holders,
            methods,
        )


def _parse_items(items: list[_Item]) -> dict[str, CheckoutForm | CheckoutFormInvalid]:
    """Each item's checkout form, or why it cannot be imported (a failed fetch or an invalid payload)."""
    parsed: dict[str, CheckoutForm | CheckoutFormInvalid] = {}
    for item in items:
        if item.fetch_error:
            parsed[item.checkout_form_id] = CheckoutFormInvalid(
                item.fetch_error, checkout_form_id=item.checkout_form_id
            )
            continue
        try:
            parsed[item.checkout_form_id] = parse_checkout_form(item.payload, expected_id=item.checkout_form_id)
        except CheckoutFormInvalid as exc:
            parsed[item.checkout_form_id] = exc
    return parsed


def _load_checkouts(account, ids: list[str]) -> dict[str, AllegroCheckout]:
    """The checkout rows already seen (locked), with their shop orders."""
    checkouts = {
        c.checkout_form_id: c
        for c in AllegroCheckout.objects.select_for_update().filter(account=account, checkout_form_id__in=ids)
    }
    order_ids = [c.order_id for c in checkouts.values() if c.order_id]
    orders = {o.pk: o for o in Order.objects.filter(pk__in=order_ids).select_related("customer")} if order_ids else {}
    for checkout in checkouts.values():
        if checkout.order_id:
            checkout.order = orders.get(checkout.order_id)
    return checkouts


def _load_buyers(account, forms: list[CheckoutForm]) -> tuple[dict, dict]:
    """(Allegro identities by buyer id on this seller, shop customers by lower-cased e-mail for the buyers
    without an identity)."""
    buyer_ids = {f.buyer.id for f in forms}
    identities = {
        i.buyer_id: i
        for i in CustomerAllegroIdentity.objects.filter(
            seller_id=account.seller_id, buyer_id__in=buyer_ids
        ).select_related("customer")
    }
    emails = {f.buyer.email.lower() for f in forms if f.buyer.id not in identities}
    customers = (
        {c.email_lower: c for c in Customer.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)}
        if emails
        else {}
    )
    return identities, customers


def _load_products(account, forms: list[CheckoutForm]) -> tuple[dict, dict]:
    """(shop products by SKU, products by Allegro offer id): offers listed from the panel know their product
    even when the SKU changed since."""
    skus = {li.offer.external.id for f in forms for li in f.lineItems if li.offer.external and li.offer.external.id}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)} if skus else {}
    offer_ids = {li.offer.id for f in forms for li in f.lineItems if li.offer.id}
    offer_products = (
        {
            offer.allegro_id: offer.product
            for offer in Offer.objects.filter(
                account=account, allegro_id__in=offer_ids, product__isnull=False
            ).select_related("product")
        }
        if offer_ids
        else {}
    )
    return products, offer_products


def _load_stock_holders(account, forms: list[CheckoutForm]) -> dict[str, OrderLine]:
    """Line items that moved into a merged form: the order line that holds their stock now (locked), so the
    stock is moved, never reserved twice."""
    line_ids = {li.id for f in forms for li in f.lineItems}
    if not line_ids:
        return {}
    return {
        line.external_id: line
        for line in OrderLine.objects.select_for_update()
        .filter(
            order__source=OrderSource.ALLEGRO,
            order__external_key__startswith=f"{account.pk}:",
            external_id__in=line_ids,
            stock_reserved=True,
        )
        .exclude(order__status=OrderStatus.CANCELLED)
    }


def _order_wanted(batch: _Batch, form: CheckoutForm) -> bool:
    if form.status == "READY_FOR_PROCESSING":
        return True
    return form.status in ("BOUGHT", "FILLED_IN") and batch.cursor.create_orders_at == CreateOrdersAt.BOUGHT


def _ordered(items: list[_Item], batch: _Batch) -> list[_Item]:
    # Live forms before cancelled ones: a merged form takes over the reservations of the forms it
    # replaced before their cancellation could give the stock back.
    def cancelled(item: _Item) -> bool:
        form = batch.parsed.get(item.checkout_form_id)
        return isinstance(form, CheckoutForm) and form.status == "CANCELLED"

    return sorted(items, key=cancelled)


def _process_batch(
    *,
    account: AllegroAccount,
    token: HeldLease,
    items: list[_Item],
    result: ImportResult,
    methods: dict,
    advance_to: tuple[str, datetime | None] | None = None,
) -> None:
    """Import the forms of one batch and move the cursor, all in one transaction.

    Fast path: no savepoint per form. If any form fails in an unexpected way, the batch is rolled
    back and redone with a savepoint per form, the failing form going to quarantine.
    """
    batch_result = ImportResult(account_id=account.pk)
    try:
        # One product_changed per batch, not per order line: the sync engine looks the offers up once.
        with transaction.atomic(), product_changes_batched():
            cursor = _hold_lease(account, token)
            batch = _Batch.load(account=account, cursor=cursor, items=items, methods=methods)
            for item in _ordered(items, batch):
                _import_one(batch, item, batch_result)
            _advance(cursor, advance_to)
    except (LeaseLost, OperationalError, InterfaceError):
        raise
    except Exception:  # noqa: BLE001 - redone form by form below, the culprit is quarantined
        logger.exception("order import batch failed; retrying form by form (account %s)", account.pk)
        batch_result = ImportResult(account_id=account.pk)
        with transaction.atomic(), product_changes_batched():
            cursor = _hold_lease(account, token)
            batch = _Batch.load(account=account, cursor=cursor, items=items, methods={})
            for item in _ordered(items, batch):
                try:
                    with transaction.atomic():
                        _import_one(batch, item, batch_result)
                except (OperationalError, InterfaceError):
                    raise
                except Exception as exc:  # noqa: BLE001 - an unexpected payload must not stop the import
                    _quarantine(batch, item, f"{type(exc).__name__}: {exc}"[:2000], batch_result)
            _advance(cursor, advance_to)
    result.add(batch_result)


def _advance(cursor: OrderEventCursor, advance_to: tuple[str, datetime | None] | None) -> None:
    if advance_to is None:
        return
    event_id, occurred_at = advance_to
    cursor.last_event_id = event_id
    cursor.last_event_at = occurred_at or cursor.last_event_at
    cursor.save(update_fields=["last_event_id", "last_event_at"])


def _quarantine(batch: _Batch, item: _Item, reason: str, result: ImportResult) -> None:
    form_id = item.checkout_form_id or form_id_of(item.payload) or f"?{uuid.uuid4().hex[:12]}"
    payload = payload_for_storage(item.payload)
    now = timezone.now()
    updated = CheckoutQuarantine.objects.filter(
        account=batch.account, checkout_form_id=form_id, resolved_at__isnull=True
    ).update(reason=reason, payload=payload, event_id=item.event_id, updated_at=now)
    if updated:
        CheckoutQuarantine.objects.filter(
            account=batch.account, checkout_form_id=form_id, resolved_at__isnull=True
        ).update(attempts=F("attempts") + 1)
    else:
        CheckoutQuarantine.objects.create(
            account=batch.account, checkout_form_id=form_id, reason=reason, payload=payload, event_id=item.event_id
        )
    batch.quarantined.add(form_id)
    result.quarantined += 1
    event_log(
        kind=EventKind.ORDER,
        action="order_quarantined",
        message=_("Checkout form %(id)s was not imported: %(reason)s") % {"id": form_id, "reason": reason[:500]},
        account=batch.account,
        success=False,
    )


def _import_one(batch: _Batch, item: _Item, result: ImportResult) -> None:
    """Bring one checkout form into the shop: create, update or cancel its order (idempotent)."""
    result.forms += 1
    form = batch.parsed.get(item.checkout_form_id)
    if isinstance(form, CheckoutFormInvalid):
        _quarantine(batch, item, form.reason, result)
        return
    assert form is not None
    account = batch.account
    checkout = batch.checkouts.get(form.id)
    if checkout is not None and form.revision and checkout.revision == form.revision:
        if checkout.order_id or not _order_wanted(batch, form):
            result.unchanged += 1
            return
    order = checkout.order if checkout is not None else None
    outcome = "recorded"
    if form.status == "CANCELLED":
        if order is not None and order.status != OrderStatus.CANCELLED:
            outcome = _cancel(order, form)
    elif order is None and _order_wanted(batch, form):
        order = _create_order(batch, form)
        outcome = "created"
    elif order is not None:
        _update_order(batch, order, form)
        outcome = "updated"
    setattr(result, outcome, getattr(result, outcome) + 1)

    now = timezone.now()
    values = {
        "revision": form.revision or "",
        "status": form.status,
        "fulfillment_status": (form.fulfillment.status if form.fulfillment else None) or "",
        "buyer_id": form.buyer.id,
        "buyer_login": form.buyer.login,
        "order": order,
        "payload": payload_for_storage(item.payload),
        "last_event_id": item.event_id or (checkout.last_event_id if checkout else ""),
        "last_seen_at": now,
    }
    if checkout is None:
        checkout = AllegroCheckout.objects.create(account=account, checkout_form_id=form.id, **values)
        batch.checkouts[form.id] = checkout
    else:
        for name, value in values.items():
            setattr(checkout, name, value)
        checkout.save(update_fields=list(values))
    if form.id in batch.quarantined:
        CheckoutQuarantine.objects.filter(account=account, checkout_form_id=form.id, resolved_at__isnull=True).update(
            resolved_at=now
        )
        batch.quarantined.discard(form.id)


# --- orders ----------------------------------------------------------------------------------------------


def _payment(form: CheckoutForm) -> dict:
    # READY_FOR_PROCESSING means paid (or cash on delivery confirmed) whatever else the form says: Allegro
    # may send paidAmount and finishedAt as null, and then the amount to pay is what was paid.
    ready = form.status == "READY_FOR_PROCESSING"
    total = form.summary.totalToPay.amount if form.summary else Decimal("0.00")
    payment = form.payment
    if payment is None:
        if ready:
            return {
                "payment_type": "",
                "payment_provider": "",
                "payment_status": PaymentStatus.PAID,
                "paid_amount": total,
            }
        return {"payment_type": "", "payment_provider": "", "payment_status": PaymentStatus.UNPAID}
    paid = payment.paidAmount.amount if payment.paidAmount else Decimal("0.00")
    if payment.type == "CASH_ON_DELIVERY":
        status = PaymentStatus.COD
    elif paid > 0 or ready:
        status = PaymentStatus.PAID
        paid = paid or total
    else:
        status = PaymentStatus.UNPAID
    return {
        "payment_type": PAYMENT_TYPES.get(payment.type, PaymentType.OTHER),
        "payment_provider": _cut(payment.provider, 40),
        "payment_status": status,
        "paid_amount": paid,
    }


def _order_details(form: CheckoutForm) -> dict:
    """Order fields that follow the checkout form (address, pickup point, invoice, message)."""
    details: dict[str, Any] = {}
    delivery = form.delivery
    if delivery is not None and delivery.address is not None:
        a = delivery.address
        details.update(
            delivery_name=_cut(" ".join(filter(None, (a.firstName, a.lastName))), 200),
            delivery_company=_cut(a.companyName, 200),
            delivery_street=_cut(a.street, 200),
            delivery_post_code=_cut(a.zipCode, 12),
            delivery_city=_cut(a.city, 100),
            delivery_country_code=_cut(a.countryCode or "PL", 2),
            delivery_phone=_cut(a.phoneNumber, 40),
        )
    if delivery is not None and delivery.pickupPoint is not None:
        p = delivery.pickupPoint
        details.update(
            pickup_point_id=_cut(p.id, 64),
            pickup_point_name=_cut(p.name, 200),
            pickup_point_address=_cut(p.one_line, 300),
        )
    invoice = form.invoice
    if invoice is not None and invoice.required and invoice.address is not None:
        ia = invoice.address
        company = ia.company
        person = ia.naturalPerson
        name = " ".join(filter(None, (person.firstName, person.lastName))) if person else ""
        details.update(
            invoice_required=True,
            invoice_name=_cut(name or " ".join(filter(None, (form.buyer.firstName, form.buyer.lastName))), 200),
            invoice_company=_cut(company.name if company else "", 200),
            invoice_nip=_cut(company.nip if company else "", 32),
            invoice_street=_cut(ia.street, 200),
            invoice_post_code=_cut(ia.zipCode, 12),
            invoice_city=_cut(ia.city, 100),
            invoice_country_code=_cut(ia.countryCode or "PL", 2),
        )
    details["buyer_message"] = form.messageToSeller or ""
    return details


def _delivery_method(batch: _Batch, form: CheckoutForm) -> DeliveryMethod | None:
    method = form.delivery.method if form.delivery else None
    if method is None or not (method.id or method.name):
        return None
    key = method.id or f"name:{method.name}"
    if key not in batch.methods:
        # The mapping ("Mapowanie form dostawy") first; an unmapped method still finds a shop method of the same name.
        found = delivery_method_shop_get(allegro_method_id=method.id) if method.id else None
        if found is None and method.name:
            found = DeliveryMethod.objects.filter(name__iexact=method.name).first()
        batch.methods[key] = found
    return batch.methods[key]


def _product_for_line(*, batch: _Batch, line_item: LineItem) -> Product | None:
    """The shop product of a line: the product of the panel's offer with that Allegro id, else the product
    whose SKU is the offer's ``external.id``. None keeps the line and flags the order."""
    mapped = batch.offer_products.get(line_item.offer.id) if line_item.offer.id else None
    if mapped is not None:
        return mapped
    external = line_item.offer.external.id if line_item.offer.external else None
    return batch.products.get(external) if external else None


def _customer_for(batch: _Batch, form: CheckoutForm) -> Customer:
    """The buyer's shop customer: by Allegro buyer id on this seller account, then by e-mail
    (case-insensitive), else a new customer. A masked relay address (…@allegromail.pl) is unique to
    one buyer on one seller account, so it is only ever an identity key: it can find the customer
    created from that same buyer, never someone else."""
    buyer = form.buyer
    account = batch.account
    identity = batch.identities.get(buyer.id)
    if identity is not None:
        if identity.login != buyer.login:
            CustomerAllegroIdentity.objects.filter(pk=identity.pk).update(login=_cut(buyer.login, 100))
        return identity.customer
    email = buyer.email.lower()
    customer = batch.customers.get(email)
    if customer is None:
        customer = _customer_create(form)
        batch.customers[email] = customer
    identity = CustomerAllegroIdentity.objects.create(
        customer=customer, seller_id=account.seller_id, buyer_id=buyer.id, login=_cut(buyer.login, 100)
    )
    identity.customer = customer
    batch.identities[buyer.id] = identity
    return customer


def _customer_create(form: CheckoutForm) -> Customer:
    buyer = form.buyer
    fields: dict[str, Any] = {
        "email": buyer.email,
        "first_name": _cut(buyer.firstName, 100),
        "last_name": _cut(buyer.lastName, 100),
        "phone": _cut(buyer.phoneNumber, 40),
        "company": _cut(buyer.companyName, 200),
    }
    if buyer.address is not None:
        fields.update(
            billing_street=_cut(buyer.address.street, 200),
            billing_post_code=_cut(buyer.address.postCode, 12),
            billing_city=_cut(buyer.address.city, 100),
            billing_country_code=_cut(buyer.address.countryCode or "PL", 2),
        )
    invoice = form.invoice
    if invoice is not None and invoice.required and invoice.address is not None:
        ia = invoice.address
        if ia.company is not None:
            fields["company"] = _cut(ia.company.name, 200) or fields["company"]
            digits = re.sub(r"\D", "", ia.company.nip)
            if len(digits) == 10:
                fields["nip"] = digits
        fields.update(
            billing_street=_cut(ia.street, 200),
            billing_post_code=_cut(ia.zipCode, 12),
            billing_city=_cut(ia.city, 100),
            billing_country_code=_cut(ia.countryCode or "PL", 2),
        )
    delivery = form.delivery
    if delivery is not None and delivery.address is not None and delivery.pickupPoint is None:
        a = delivery.address
        fields.update(
            shipping_name=_cut(" ".join(filter(None, (a.firstName, a.lastName))), 200),
            shipping_street=_cut(a.street, 200),
            shipping_post_code=_cut(a.zipCode, 12),
            shipping_city=_cut(a.city, 100),
            shipping_country_code=_cut(a.countryCode or "PL", 2),
        )
    return Customer.objects.create(**fields)


def _create_order(batch: _Batch, form: CheckoutForm) -> Order:
    account = batch.account
    lines = [
        LineData(
            name=_cut(li.offer.name, 255),
            quantity=li.quantity,
            unit_price=li.price.amount,
            product=_product_for_line(batch=batch, line_item=li),
            sku=_cut(li.offer.external.id if li.offer.external else "", 100),
            external_id=_cut(li.id, 64),
            stock_reference=checkout_stock_reference(account=account, checkout_form_id=form.id, line_item_id=li.id),
        )
        for li in form.lineItems
    ]
    method = _delivery_method(batch, form)
    ready = form.status == "READY_FOR_PROCESSING"
    delivery = form.delivery
    data = OrderData(
        lines=lines,
        customer=_customer_for(batch, form),
        source=OrderSource.ALLEGRO,
        external_key=checkout_external_key(account=account, checkout_form_id=form.id),
        status=OrderStatus.READY_TO_SHIP if ready else OrderStatus.AWAITING_PAYMENT,
        currency=form.summary.totalToPay.currency if form.summary else "PLN",
        delivery_method=method,
        delivery_method_name=_cut(delivery.method.name if delivery and delivery.method else "", 200),
        delivery_cost=delivery.cost.amount if delivery and delivery.cost else Decimal("0.00"),
        total=form.summary.totalToPay.amount if form.summary else None,
        placed_at=form.bought_at or form.updatedAt or timezone.now(),
        address={k: v for k, v in _order_details(form).items() if k != "buyer_message"},
        buyer_message=form.messageToSeller or "",
        reserve_stock=False,
        **_payment(form),
    )
    order = order_create(data=data)
    _reserve(batch, order, form, order.created_lines)  # type: ignore[attr-defined]  # order_create sets it on the order it returns
    return order


def _reserve(batch: _Batch, order: Order, form: CheckoutForm, lines: list[OrderLine]) -> None:
    """Reserve stock for the new order's lines. A line item that an earlier checkout form of this
    account still holds (a merged checkout) takes that reservation over instead of moving stock
    again: the old line lets go in the same transaction, so cancelling the old form gives nothing back."""
    taken_over: list[tuple[OrderLine, OrderLine]] = []
    to_reserve: list[OrderLine] = []
    references: list[str | None] = []
    for line in lines:
        holder = batch.holders.get(line.external_id)
        if holder is not None and holder.order_id != order.pk and line.product_id == holder.product_id:
            taken_over.append((line, holder))
        else:
            to_reserve.append(line)
            references.append(
                checkout_stock_reference(account=batch.account, checkout_form_id=form.id, line_item_id=line.external_id)
            )
    if taken_over:
        OrderLine.objects.filter(pk__in=[h.pk for _, h in taken_over]).update(stock_reserved=False)
        OrderLine.objects.filter(pk__in=[line.pk for line, _ in taken_over]).update(stock_reserved=True)
        for line, holder in taken_over:
            line.stock_reserved = True
            holder.stock_reserved = False
    if to_reserve:
        order_reserve_stock(order=order, lines=to_reserve, stock_references=references)
    for line in lines:
        if line.stock_reserved:
            batch.holders[line.external_id] = line


def _update_order(batch: _Batch, order: Order, form: CheckoutForm) -> None:
    """A newer revision: the buyer filled in or changed the address, paid, or wrote a message."""
    fields = {**_order_details(form), **_payment(form)}
    if "delivery_name" in fields:
        fields["search_text"] = order_search_text(customer=order.customer, delivery_name=fields["delivery_name"])
    Order.objects.filter(pk=order.pk).update(**fields, updated_at=timezone.now())
    known = set(OrderLine.objects.filter(order=order).values_list("external_id", flat=True))
    changed = {li.id for li in form.lineItems} != known
    if changed:
        note = _("The line items of the checkout form changed on Allegro; check the order.")
        if note not in order.attention_note:
            Order.objects.filter(pk=order.pk).update(
                needs_attention=True, attention_note="\n".join(filter(None, [order.attention_note, note]))
            )
    if form.status == "READY_FOR_PROCESSING" and order.status in (OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT):
        order_change_status(order=order, status=OrderStatus.READY_TO_SHIP, origin="allegro", note="Allegro")


def _cancel(order: Order, form: CheckoutForm) -> str:
    if order.can_change_to(OrderStatus.CANCELLED):
        order_change_status(order=order, status=OrderStatus.CANCELLED, origin="allegro", note=_("cancelled on Allegro"))
        return "cancelled"
    note = _("The buyer's checkout form was cancelled on Allegro, but the order is already %(status)s.") % {
        "status": order.get_status_display()
    }
    if note not in order.attention_note:
        Order.objects.filter(pk=order.pk).update(
            needs_attention=True, attention_note="\n".join(filter(None, [order.attention_note, note]))
        )
    return "updated"


# --- fetching ----------------------------------------------------------------------------------------------


class _FormReader:
    """Fetches the checkout forms that journal batches name, with as few calls as possible.

    Many forms: one listing call per hundred, by ``updatedAt`` ascending from just before the batch's
    first event. The listing goes on where it stopped for the next batch instead of starting over:
    after a sale or an outage the same window holds thousands of forms, and listing it again for every
    batch made a backlog quadratic. The last ``LISTED_KEEP`` forms read are kept for later batches. A
    form read before the journal page that names it was read may predate that event: it is used only
    when its revision is the one the event names. What the listing does not yield (updated again
    later, moved while paging, 404) is fetched one by one.
    """

    def __init__(self, client: AllegroClient) -> None:
        self.client = client
        self.listed: dict[str, tuple[float, Any]] = {}  # form id -> (when read, payload), oldest first
        self.gte: str | None = None  # the listing's updatedAt.gte once opened, and where it has got to
        self.offset = 0

    def forms(
        self,
        ids: list[str],
        *,
        since: datetime | None,
        until: datetime | None = None,
        read_at: float = 0.0,
        revisions: dict[str, str] | None = None,
    ) -> dict[str, _Item]:
        """Current payloads for ``ids``, named by events that happened between ``since`` and ``until``
        (naming ``revisions``) and read from the journal at ``read_at`` (``time.monotonic()``)."""
        found: dict[str, _Item] = {}
        revisions = revisions or {}
        for form_id in ids:
            if self._usable(form_id, read_at, revisions.get(form_id)):
                found[form_id] = _Item(form_id, self.listed[form_id][1])
        missing = len(ids) - len(found)
        # Once a backlog is being listed, the listing is the cheaper way even for a few forms: the
        # page read now serves the next batches too.
        if since is not None and (missing > LIST_WHEN_MORE_THAN or (missing and self.gte is not None)):
            self._list(set(ids), found, since=since, until=until)
        for form_id in ids:
            if form_id not in found:
                found[form_id] = self._get(form_id)
        return found

    def _usable(self, form_id: str, read_at: float, revision: str | None) -> bool:
        listed = self.listed.get(form_id)
        if listed is None:
            return False
        moment, raw = listed
        return moment >= read_at or bool(revision and raw.get("revision") == revision)

    def _list(self, wanted: set[str], found: dict[str, _Item], *, since: datetime, until: datetime | None) -> None:
        if self.gte is None:
            # Opened once per run; an event inserted late below it names a form fetched one by one.
            self.gte, self.offset = _iso(since - LIST_MARGIN), 0
        stop_after = until + LIST_AHEAD if until is not None else None
        read = 0
        while wanted - found.keys() and read < LISTED_KEEP // 2:
            listed_at = time.monotonic()
            params = {"updatedAt.gte": self.gte, "sort": "updatedAt", "limit": LIST_PAGE, "offset": self.offset}
            page = self.client.list_checkout_forms(params=params).get("checkoutForms") or []
            for raw in page:
                form_id = raw.get("id") if isinstance(raw, dict) else None
                if not isinstance(form_id, str):
                    continue
                self._keep(form_id, listed_at, raw)
                if form_id in wanted:
                    found[form_id] = _Item(form_id, raw)
            read += len(page)
            self.offset += len(page)
            if len(page) < LIST_PAGE:
                return  # the end of the list for now; later batches go on from here
            last = _parse_moment(page[-1].get("updatedAt") if isinstance(page[-1], dict) else None)
            if self.offset > MAX_OFFSET:
                # Allegro caps the offset: continue from the last form's moment (repeats are harmless).
                if last is None:
                    self.gte = None
                    return
                self.gte, self.offset = _iso(last), 0
            if stop_after is not None and last is not None and last > stop_after:
                return  # the rest were updated again since: fetched one by one

    def _get(self, form_id: str) -> _Item:
        fetched_at = time.monotonic()
        try:
            raw = self.client.get_checkout_form(form_id)
        except AllegroNotFound:
            return _Item(form_id, None, fetch_error=_("Allegro does not know this checkout form (404)."))
        except AllegroValidationError as exc:
            return _Item(form_id, None, fetch_error="; ".join(exc.user_messages)[:2000])
        self._keep(form_id, fetched_at, raw)  # a later event naming this revision needs no call
        return _Item(form_id, raw)

    def _keep(self, form_id: str, moment: float, raw: Any) -> None:
        self.listed.pop(form_id, None)
        self.listed[form_id] = (moment, raw)
        while len(self.listed) > LISTED_KEEP:
            del self.listed[next(iter(self.listed))]


def _parse_moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- entry points ------------------------------------------------------------------------------------------


def order_import_new_events(*, account: AllegroAccount, max_events: int | None = None) -> ImportResult:
    """Read the account's order journal from its cursor and import what it names. Raises ImportBusy
    when another import of the account holds the lock."""
    result = ImportResult(account_id=account.pk)
    methods: dict = {}
    with _import_lease(account) as token:
        client = account_client(account=account)
        reader = _FormReader(client)
        cursor = OrderEventCursor.objects.get(account=account)
        if not cursor.last_event_id:
            _start_cursor(account=account, client=client, cursor=cursor, token=token, result=result, methods=methods)
            cursor.refresh_from_db()
        while max_events is None or result.events < max_events:
            raw_events = client.get_order_events(from_event_id=cursor.last_event_id, limit=EVENTS_PAGE)
            read_at = time.monotonic()
            if not raw_events:
                result.caught_up = True
                break
            for start in range(0, len(raw_events), BATCH_EVENTS):
                chunk = raw_events[start : start + BATCH_EVENTS]
                _import_events(account, reader, read_at, token, chunk, result, methods)
                cursor.last_event_id = str(chunk[-1].get("id")) if isinstance(chunk[-1], dict) else cursor.last_event_id
            if len(raw_events) < EVENTS_PAGE:
                result.caught_up = True
                break
        now = timezone.now()
        update = {"last_import_at": now, "last_error": ""}
        if result.caught_up:
            update["caught_up_at"] = now
        OrderEventCursor.objects.filter(account=account).update(**update)
    return result


def _import_events(
    account, reader: _FormReader, read_at: float, token, chunk: list, result: ImportResult, methods: dict
) -> None:
    events = [parse_order_event(raw) for raw in chunk]
    last_raw = chunk[-1]
    last_id = str(last_raw.get("id")) if isinstance(last_raw, dict) else ""
    if not last_id.isdigit():
        # An event without a usable id cannot move the cursor; the sweep will find its form.
        last_id = next((e.id for e in reversed(events) if e is not None), "")
    occurred = next((e.occurredAt for e in reversed(events) if e is not None and e.occurredAt), None)
    latest: dict[str, str] = {}
    revisions: dict[str, str] = {}
    for event in events:
        if event is not None:
            form_ref = event.order.checkoutForm
            latest[form_ref.id] = event.id
            revisions[form_ref.id] = form_ref.revision or ""
    result.events += len(chunk)
    times = [e.occurredAt for e in events if e is not None and e.occurredAt]
    fetched = reader.forms(
        list(latest),
        since=min(times) if times else None,
        until=max(times) if times else None,
        read_at=read_at,
        revisions=revisions,
    )
    items = []
    for form_id, event_id in latest.items():
        item = fetched[form_id]
        item.event_id = event_id
        items.append(item)
    _process_batch(
        account=account,
        token=token,
        items=items,
        result=result,
        methods=methods,
        advance_to=(last_id, occurred) if last_id else None,
    )


def _start_cursor(*, account, client, cursor, token, result, methods) -> None:
    """A brand-new account: start at the journal's head ("now"), after importing the forms placed
    since ``start_from`` when the owner chose a date (event-stats gives only a starting point, never a cursor)."""
    stats = client.get_order_event_stats()
    latest = stats.get("latestEvent") if isinstance(stats.get("latestEvent"), dict) else {}
    head = str(latest.get("id") or "0")
    if cursor.start_from is not None:
        _list_and_import(
            account=account,
            client=client,
            token=token,
            params={"lineItems.boughtAt.gte": _iso(cursor.start_from)},
            sort="lineItems.boughtAt",
            result=result,
            methods=methods,
        )
    OrderEventCursor.objects.filter(account=account).update(
        last_event_id=head if head.isdigit() else "0", last_sweep_at=timezone.now()
    )


def _list_and_import(*, account, client, token, params: dict, sort: str, result: ImportResult, methods) -> None:
    """Page through ``/order/checkout-forms`` (ascending by ``sort``) and import every form."""
    offset = 0
    window = dict(params)
    gte_key = f"{'updatedAt' if sort == 'updatedAt' else 'lineItems.boughtAt'}.gte"
    while True:
        data = client.list_checkout_forms(params={**window, "sort": sort, "limit": LIST_PAGE, "offset": offset})
        page = data.get("checkoutForms") or []
        items = [_Item(form_id_of(raw), raw) for raw in page]
        if items:
            _process_batch(account=account, token=token, items=_dedupe(items), result=result, methods=methods)
        if len(page) < LIST_PAGE:
            return
        offset += LIST_PAGE
        if offset > MAX_OFFSET:
            # Allegro caps the offset: continue from the last form's moment instead (repeats are no-ops).
            last = page[-1] if isinstance(page[-1], dict) else {}
            moment = last.get("updatedAt") if sort == "updatedAt" else _first_bought(last)
            if not moment:
                return
            window[gte_key] = moment
            offset = 0


def _first_bought(raw: dict) -> str | None:
    line_items = raw.get("lineItems")
    items = line_items if isinstance(line_items, list) else []
    moments = sorted(str(li.get("boughtAt")) for li in items if isinstance(li, dict) and li.get("boughtAt"))
    return moments[0] if moments else None


def _dedupe(items: list[_Item]) -> list[_Item]:
    seen: dict[str, _Item] = {}
    for index, item in enumerate(items):
        seen[item.checkout_form_id or f"?{index}"] = item
    return list(seen.values())


def order_import_sweep(*, account: AllegroAccount, since: datetime | None = None) -> ImportResult:
    """The safety net: every form updated since the last sweep (minus a margin) is compared with what
    the shop has, catching events the journal dropped or inserted below the cursor."""
    result = ImportResult(account_id=account.pk)
    with _import_lease(account) as token:
        client = account_client(account=account)
        cursor = OrderEventCursor.objects.get(account=account)
        started = timezone.now()
        since = since or (cursor.last_sweep_at or started - timedelta(days=1)) - SWEEP_MARGIN
        _list_and_import(
            account=account,
            client=client,
            token=token,
            params={"updatedAt.gte": _iso(since)},
            sort="updatedAt",
            result=result,
            methods={},
        )
        OrderEventCursor.objects.filter(account=account).update(last_sweep_at=started, last_import_at=timezone.now())
    return result


def order_import_backfill(
    *, account: AllegroAccount, date_from: datetime, date_to: datetime, actor=None
) -> ImportResult:
    """ "Pobierz zamówienia z okresu": import every form bought in [date_from, date_to]."""
    result = ImportResult(account_id=account.pk)
    with event_context(actor=actor, rule="" if actor else "backfill"), _import_lease(account) as token:
        client = account_client(account=account)
        _list_and_import(
            account=account,
            client=client,
            token=token,
            params={"lineItems.boughtAt.gte": _iso(date_from), "lineItems.boughtAt.lte": _iso(date_to)},
            sort="lineItems.boughtAt",
            result=result,
            methods={},
        )
        event_log(
            kind=EventKind.ORDER,
            action="orders_backfill",
            message=_("Orders from %(start)s to %(end)s fetched: %(summary)s")
            % {"start": f"{date_from:%Y-%m-%d %H:%M}", "end": f"{date_to:%Y-%m-%d %H:%M}", "summary": result.summary()},
            account=account,
        )
    return result


def order_import_checkout_forms(*, account: AllegroAccount, payloads: list[Any]) -> ImportResult:
    """Import checkout forms given as raw payloads (a replay, a test): same path as the journal's,
    under the same lock; the cursor does not move."""
    result = ImportResult(account_id=account.pk)
    with _import_lease(account) as token:
        items = _dedupe([_Item(form_id_of(raw), raw) for raw in payloads])
        _process_batch(account=account, token=token, items=items, result=result, methods={})
    return result


def checkout_quarantine_retry(*, quarantine: CheckoutQuarantine, actor=None) -> bool:
    """ "Spróbuj ponownie": fetch the form again from Allegro and import it. True when it went in."""
    account = quarantine.account
    result = ImportResult(account_id=account.pk)
    with event_context(actor=actor), _import_lease(account) as token:
        client = account_client(account=account)
        fetched = _FormReader(client).forms([quarantine.checkout_form_id], since=None)
        item = fetched[quarantine.checkout_form_id]
        item.event_id = quarantine.event_id
        _process_batch(account=account, token=token, items=[item], result=result, methods={})
    return not CheckoutQuarantine.objects.filter(pk=quarantine.pk, resolved_at__isnull=True).exists()


def order_import_account(*, account: AllegroAccount, sweep: bool | None = None) -> ImportResult:
    """One automatic round for an account: new journal events, then the sweep when it is due."""
    with event_context(rule="order import"):
        try:
            result = order_import_new_events(account=account)
        except ImportBusy:
            return ImportResult(account_id=account.pk, busy=True)
        cursor = OrderEventCursor.objects.get(account=account)
        due = cursor.last_sweep_at is None or timezone.now() - cursor.last_sweep_at >= SWEEP_EVERY
        if sweep or (sweep is None and due):
            try:
                result.add(order_import_sweep(account=account))
            except ImportBusy:
                pass
        if result.created or result.updated or result.cancelled:
            # One row per round that changed something (quarantines have their own rows).
            event_log(
                kind=EventKind.ORDER,
                action="orders_imported",
                message=_("Orders imported from Allegro: %(summary)s") % {"summary": result.summary()},
                account=account,
            )
    return result


def orders_import_all_accounts(*, accounts=None, only_enabled: bool = True) -> dict[int, ImportResult]:
    """Import orders of every connected account (with "import orders" on, unless ``only_enabled`` is
    False): what "Synchronizuj aukcje", the beat schedule and ``allegro_sync --only orders`` call."""
    qs = accounts if accounts is not None else AllegroAccount.objects.all()
    qs = qs.filter(state=ConnectionState.CONNECTED).select_related("app").order_by("pk")
    if only_enabled:
        qs = qs.filter(sync_import_orders=True)
    results = {}
    for account in qs:
        try:
            results[account.pk] = order_import_account(account=account)
        except Exception as exc:
            OrderEventCursor.objects.filter(account=account).update(last_error=str(exc)[:2000])
            failed = ImportResult(account_id=account.pk, errors=[str(exc)])
            results[account.pk] = failed
            logger.exception("order import of account %s failed", account.pk)
    return results
