"""An order's invoice for Allegro: issued in the panel (a simple VAT invoice from the order) or the shop's
own PDF attached to the order, then delivered to the Allegro order.

Delivery is two calls: declare the invoice (number and file name) and upload its file. The declaration
has no idempotency key, so the invoice's number serves as one: the row is committed with its number before
any call, the order's invoices on Allegro are read before declaring (a declaration whose answer was lost,
or whose worker died, is found there by its number) and the declaration's id is committed before the file
is sent. A repeated upload that Allegro refuses as "already uploaded" is checked against the list. So a
retry after a timeout leaves one invoice with one file on the Allegro order.

A service decides and stores; its caller (the order page, the orders list action, the beat task) enqueues
``order_invoice_send`` after commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.core.services.leases import LeaseBusy, lease_hold
from allegro.integration.client import AllegroConflict, AllegroError, AllegroRateLimited, AllegroRetryLater
from allegro.invoices.models import InvoiceSeller, InvoiceSource, InvoiceState, OrderInvoice
from allegro.invoices.selectors import buyer_invoice_data, checkout_for_order, invoice_seller_for
from allegro.invoices.services.amounts import DEFAULT_VAT_RATE, InvoiceLine, invoice_totals
from allegro.invoices.services.numbering import invoice_number_next
from allegro.invoices.services.pdf import invoice_pdf_render
from orders.models import Order

MAX_FILE_BYTES = 3 * 1024 * 1024  # Allegro's limit for an invoice file
NUMBER_MAX_LENGTH = 64
DELIVERY_LINE = "Dostawa"


class InvoiceRefused(Exception):
    """The invoice cannot be made or attached; the message says why, in the staff member's language."""


@dataclass(frozen=True)
class InvoiceDraft:
    """What an invoice issued now would say (the order page shows it before staff issue it)."""

    lines: list[InvoiceLine]
    totals: object


def _checkout(order: Order) -> AllegroCheckout:
    checkout = checkout_for_order(order_id=order.pk)
    if checkout is None:
        raise InvoiceRefused(_("This order did not come from Allegro."))
    return checkout


def _vat_rate(value, default: int) -> int:
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
        return default


def order_invoice_lines(*, order: Order, checkout: AllegroCheckout | None = None) -> list[InvoiceLine]:
    """The order's lines at their gross prices with their VAT rates, and delivery as a line of its own.

    A line's rate is the product's rate in the shop; a line without a product takes the rate Allegro sent
    with the line item, else 23%. Delivery follows the highest rate of the goods it carries."""
    taxes: dict[str, object] = {}
    payload = checkout.payload if checkout is not None and isinstance(checkout.payload, dict) else {}
    for item in payload.get("lineItems") or []:
        if isinstance(item, dict) and isinstance(item.get("tax"), dict):
            taxes[str(item.get("id"))] = item["tax"].get("rate")
    lines = []
    for line in order.lines.select_related("product").order_by("pk"):
        if line.product is not None:
            rate = _vat_rate(line.product.vat_rate, DEFAULT_VAT_RATE)
        else:
            rate = _vat_rate(taxes.get(line.external_id), DEFAULT_VAT_RATE)
        lines.append(InvoiceLine(name=line.name, quantity=line.quantity, unit_gross=line.unit_price, vat_rate=rate))
    if order.delivery_cost:
        rate = max((line.vat_rate for line in lines), default=DEFAULT_VAT_RATE)
        lines.append(InvoiceLine(name=DELIVERY_LINE, quantity=1, unit_gross=order.delivery_cost, vat_rate=rate))
    return lines


def order_invoice_draft(*, order: Order) -> InvoiceDraft:
    lines = order_invoice_lines(order=order, checkout=checkout_for_order(order_id=order.pk))
    return InvoiceDraft(lines=lines, totals=invoice_totals(lines=lines))


def _seller_json(seller: InvoiceSeller) -> dict:
    return {
        "name": seller.name,
        "nip": seller.nip,
        "street": seller.street,
        "post_code": seller.post_code,
        "city": seller.city,
        "country_code": "PL",
        "bank_account": seller.bank_account,
        "place_of_issue": seller.place_of_issue or seller.city,
        "issued_by": seller.issued_by,
    }


def _file_name(number: str) -> str:
    return "faktura-" + re.sub(r"[^0-9A-Za-z]+", "-", number).strip("-") + ".pdf"


def order_invoice_generate(*, order: Order, actor=None, issued_on: date | None = None) -> OrderInvoice:
    """ "Wystaw fakturę": a VAT invoice from the order, numbered FV/<n>/<MM>/<YYYY>, with its PDF.

    The number is taken in the transaction that stores the invoice, so it is neither repeated nor lost."""
    checkout = _checkout(order)
    seller = invoice_seller_for(account_id=checkout.account_id)
    if seller is None:
        raise InvoiceRefused(
            _("Fill in the seller data for invoices of account %(account)s first.") % {"account": checkout.account}
        )
    lines = order_invoice_lines(order=order, checkout=checkout)
    if not lines:
        raise InvoiceRefused(_("The order has no lines to invoice."))
    totals = invoice_totals(lines=lines)
    issued_on = issued_on or timezone.localdate()
    sold_on = timezone.localdate(order.placed_at) if order.placed_at else issued_on
    buyer = buyer_invoice_data(checkout=checkout).as_json()
    with transaction.atomic():
        if OrderInvoice.objects.select_for_update().filter(order=order).exists():
            raise InvoiceRefused(_("Order %(number)s already has an invoice.") % {"number": order.number})
        number = invoice_number_next(issued_on=issued_on)
        pdf = invoice_pdf_render(
            number=number,
            issued_on=issued_on,
            sold_on=sold_on,
            seller=_seller_json(seller),
            buyer=buyer,
            lines=lines,
            currency=order.currency,
            payment=order.get_payment_type_display() if order.payment_type else "",
            paid=order.payment_status in ("paid", "cod"),
            order_reference=f"{order.number} (Allegro {checkout.checkout_form_id})",
        )
        invoice = OrderInvoice(
            order=order,
            checkout=checkout,
            number=number,
            source=InvoiceSource.GENERATED,
            issued_on=issued_on,
            sold_on=sold_on,
            seller=_seller_json(seller),
            buyer=buyer,
            lines=[line.as_json() for line in lines],
            net_total=totals.net,
            vat_total=totals.vat,
            gross_total=totals.gross,
            currency=order.currency,
            file_name=_file_name(number),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        invoice.file.save(invoice.file_name, ContentFile(pdf), save=False)
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            invoice.file.delete(save=False)
            raise InvoiceRefused(_("Order %(number)s already has an invoice.") % {"number": order.number}) from None
        event_log(
            kind=EventKind.ORDER,
            action="invoice_issued",
            message=_("Invoice %(invoice)s issued for order %(number)s (%(gross)s %(currency)s).")
            % {"invoice": number, "number": order.number, "gross": totals.gross, "currency": order.currency},
            account=checkout.account,
            order_id=order.pk,
            actor=actor,
        )
    return invoice


def invoice_file_check(*, data: bytes) -> None:
    """What Allegro takes as an invoice file: a PDF of at most 3 MB."""
    if not data:
        raise InvoiceRefused(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise InvoiceRefused(_("The file is larger than 3 MB, the most Allegro accepts."))
    if not data.startswith(b"%PDF-"):
        raise InvoiceRefused(_("The file is not a PDF."))


def order_invoice_attach(*, order: Order, number: str, data: bytes, actor=None) -> OrderInvoice:
    """ "Dołącz plik faktury": the shop's own invoice PDF (made in its invoicing program) added to the order.

    Adding the file is what sends it: the caller enqueues ``order_invoice_send`` after commit."""
    checkout = _checkout(order)
    number = " ".join(number.split())
    if not number:
        raise InvoiceRefused(_("Give the invoice number."))
    if len(number) > NUMBER_MAX_LENGTH:
        raise InvoiceRefused(_("The invoice number can have at most 64 characters."))
    invoice_file_check(data=data)
    today = timezone.localdate()
    invoice = OrderInvoice(
        order=order,
        checkout=checkout,
        number=number,
        source=InvoiceSource.UPLOADED,
        issued_on=today,
        sold_on=timezone.localdate(order.placed_at) if order.placed_at else today,
        buyer=buyer_invoice_data(checkout=checkout).as_json(),
        gross_total=order.total,
        currency=order.currency,
        file_name=_file_name(number),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        if OrderInvoice.objects.filter(order=order).exists():
            raise InvoiceRefused(_("Order %(number)s already has an invoice.") % {"number": order.number})
        if OrderInvoice.objects.filter(number=number).exists():
            raise InvoiceRefused(_("Invoice number %(invoice)s is already used.") % {"invoice": number})
        invoice.file.save(invoice.file_name, ContentFile(data), save=False)
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            invoice.file.delete(save=False)
            raise InvoiceRefused(_("Order %(number)s already has an invoice.") % {"number": order.number}) from None
        event_log(
            kind=EventKind.ORDER,
            action="invoice_attached",
            message=_("Invoice file %(invoice)s attached to order %(number)s.")
            % {"invoice": number, "number": order.number},
            account=checkout.account,
            order_id=order.pk,
            actor=actor,
        )
    return invoice


def _note_error(invoice: OrderInvoice, exc: AllegroError, *, state: str | None = None) -> None:
    changes = {"last_error": "; ".join(exc.user_messages)[:2000]}
    if state:
        changes["state"] = state
    OrderInvoice.objects.filter(pk=invoice.pk).update(**changes)


def order_invoice_send(*, invoice: OrderInvoice) -> bool:
    """Deliver the invoice to its Allegro order, once, however often it is called. True when it is there.

    One delivery of an invoice at a time (a lease on it; the account's client checks the lease before each
    write): a call that finds another one at work returns False and leaves the invoice to it. Allegro's
    "retry later" answers (timeouts, 5xx, 429) are raised for the task to retry; a refusal (a wrong file, an
    order that takes no invoice) marks the invoice refused with Allegro's message."""
    try:
        with lease_hold(key=f"invoice:{invoice.pk}"):
            return _send(invoice)
    except LeaseBusy:
        return False


def _send(invoice: OrderInvoice) -> bool:
    invoice.refresh_from_db()
    if invoice.state == InvoiceState.SENT:
        return True
    checkout = invoice.checkout
    form_id = checkout.checkout_form_id
    client = account_client(account=checkout.account)
    OrderInvoice.objects.filter(pk=invoice.pk).update(attempts=F("attempts") + 1)
    try:
        on_allegro = client.get_order_invoices(form_id).by_number(invoice.number)
        invoice_id = invoice.allegro_invoice_id or (on_allegro.id if on_allegro is not None else "")
        if not invoice_id:
            try:
                invoice_id = client.add_order_invoice(
                    form_id, invoice_number=invoice.number, file_name=invoice.file_name
                )
            except AllegroConflict:
                # Declared meanwhile (an earlier attempt whose answer came late): it is ours, by its number.
                on_allegro = client.get_order_invoices(form_id).by_number(invoice.number)
                if on_allegro is None:
                    raise
                invoice_id = on_allegro.id
        if invoice_id != invoice.allegro_invoice_id:
            OrderInvoice.objects.filter(pk=invoice.pk).update(
                allegro_invoice_id=invoice_id, state=InvoiceState.DECLARED, declared_at=timezone.now()
            )
            invoice.allegro_invoice_id = invoice_id
        if on_allegro is None or on_allegro.id != invoice_id or not on_allegro.file_uploaded:
            with invoice.file.open("rb") as fh:
                data = fh.read()
            try:
                client.upload_order_invoice_file(form_id, invoice_id, data=data)
            except AllegroConflict:
                # "Already has a file": an earlier upload got there although its answer did not come back.
                again = client.get_order_invoices(form_id).by_number(invoice.number)
                if again is None or not again.file_uploaded:
                    raise
    except (AllegroRetryLater, AllegroRateLimited) as exc:
        _note_error(invoice, exc)
        raise
    except AllegroError as exc:
        _note_error(invoice, exc, state=InvoiceState.FAILED)
        event_log(
            kind=EventKind.ORDER,
            action="invoice_refused",
            message=_("Allegro refused invoice %(invoice)s of order %(number)s: %(reason)s")
            % {"invoice": invoice.number, "number": invoice.order.number, "reason": "; ".join(exc.user_messages)},
            account=checkout.account,
            order_id=invoice.order_id,
            success=False,
        )
        return False
    OrderInvoice.objects.filter(pk=invoice.pk).update(state=InvoiceState.SENT, sent_at=timezone.now(), last_error="")
    event_log(
        kind=EventKind.ORDER,
        action="invoice_sent",
        message=_("Invoice %(invoice)s sent to Allegro order %(form)s.") % {"invoice": invoice.number, "form": form_id},
        account=checkout.account,
        order_id=invoice.order_id,
    )
    return True


def order_invoice_retry(*, invoice: OrderInvoice, actor=None) -> bool:
    """ "Wyślij ponownie": a refused invoice goes back to the queue (its declaration id stays). False when
    it is already on Allegro."""
    if invoice.state == InvoiceState.SENT:
        return False
    OrderInvoice.objects.filter(pk=invoice.pk).update(
        state=InvoiceState.DECLARED if invoice.allegro_invoice_id else InvoiceState.READY
    )
    return True
