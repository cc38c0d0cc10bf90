"""Payment refunds of Allegro purchases: chosen lines and quantities, and the delivery cost, full or partial.

The amount is computed here (Decimal: unit price × quantity per line, plus the delivery amount) and shown to
the staff member before anything is sent. A refund is one ``Refund`` row whose ``command_id`` — Allegro's
idempotency key of ``POST /payments/refunds`` — is the id of the refund form itself, so a double submit
finds the row it already made; the row is committed before Allegro is called, and every attempt (the
client's own retry after a timeout, the task's retry, "Wyślij ponownie") sends the same id and the same
body, so Allegro answers the refund it already made instead of making a second one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.integration.client import (
    AllegroError,
    AllegroForbidden,
    AllegroNotFound,
    AllegroValidationError,
)
from allegro.integration.schemas.returns import parse_refund
from allegro.returns.models import CustomerReturn, Refund, RefundReason, RefundState, RefundStatus
from orders.models import Order, OrderLine

CENT = Decimal("0.01")


def _status_label(status: str) -> str:
    return str(RefundStatus(status).label) if status in RefundStatus.values else status


PERMANENT = (AllegroValidationError, AllegroNotFound, AllegroForbidden)


class RefundRefused(Exception):
    """The refund cannot be made as asked; ``messages`` say why (shown on the form)."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass
class RefundLine:
    order_line: OrderLine
    line_item_id: str
    bought: int
    refunded: int
    quantity: int = 0

    @property
    def left(self) -> int:
        return max(self.bought - self.refunded, 0)

    @property
    def amount(self) -> Decimal:
        return (self.order_line.unit_price * self.quantity).quantize(CENT)


@dataclass
class RefundQuote:
    """What a refund would give back: lines with their quantities, the delivery amount and the total."""

    order: Order
    checkout: AllegroCheckout
    lines: list[RefundLine]
    delivery_cost: Decimal
    delivery_refunded: Decimal
    already_refunded: Decimal
    delivery_amount: Decimal = Decimal("0.00")
    errors: list[str] = field(default_factory=list)

    @property
    def delivery_left(self) -> Decimal:
        return max(self.delivery_cost - self.delivery_refunded, Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00")) + self.delivery_amount

    @property
    def payment_id(self) -> str:
        return str(((self.checkout.payload or {}).get("payment") or {}).get("id") or "")


def refund_checkout(*, order: Order) -> AllegroCheckout | None:
    """The Allegro purchase of the order (the latest form when checkouts were merged)."""
    return AllegroCheckout.objects.select_related("account__app").filter(order=order).order_by("-pk").first()


def refund_quote(
    *, order: Order, quantities: dict[int, int] | None = None, delivery_amount: Decimal | None = None
) -> RefundQuote:
    """The refund of ``quantities`` (order line id → pieces) and ``delivery_amount``, checked against what was
    bought, paid and already refunded. ``errors`` say what is wrong; an empty choice is a quote of nothing."""
    checkout = refund_checkout(order=order)
    if checkout is None:
        raise RefundRefused([_("This order did not come from Allegro.")])
    active = Refund.objects.filter(order=order).exclude(state=RefundState.FAILED)
    refunded_qty: dict[int, int] = {}
    for refund in active.only("lines"):
        for line in refund.lines:
            key = int(line.get("order_line_id") or 0)
            refunded_qty[key] = refunded_qty.get(key, 0) + int(line.get("quantity") or 0)
    sums = active.aggregate(total=Sum("total"), delivery=Sum("delivery_amount"))
    quote = RefundQuote(
        order=order,
        checkout=checkout,
        lines=[
            RefundLine(
                order_line=line,
                line_item_id=line.external_id,
                bought=line.quantity,
                refunded=refunded_qty.get(line.pk, 0),
            )
            for line in order.lines.order_by("pk")
            if line.external_id
        ],
        delivery_cost=order.delivery_cost,
        delivery_refunded=sums["delivery"] or Decimal("0.00"),
        already_refunded=sums["total"] or Decimal("0.00"),
    )
    for line in quote.lines:
        wanted = (quantities or {}).get(line.order_line.pk, 0)
        if wanted < 0 or wanted > line.left:
            quote.errors.append(
                _("%(name)s: you can refund at most %(left)d pcs.") % {"name": line.order_line.name, "left": line.left}
            )
            wanted = 0
        line.quantity = wanted
    amount = (delivery_amount or Decimal("0.00")).quantize(CENT)
    if amount < 0 or amount > quote.delivery_left:
        quote.errors.append(_("Delivery: you can refund at most %(left)s.") % {"left": quote.delivery_left})
        amount = Decimal("0.00")
    quote.delivery_amount = amount
    if not quote.payment_id or order.paid_amount <= 0:
        quote.errors.append(_("The buyer has not paid online for this order: there is nothing to refund."))
    elif quote.already_refunded + quote.total > order.paid_amount:
        quote.errors.append(
            _("The refund exceeds the paid amount (%(paid)s, already refunded %(done)s).")
            % {"paid": order.paid_amount, "done": quote.already_refunded}
        )
    return quote


def refund_create(
    *,
    order: Order,
    quantities: dict[int, int],
    delivery_amount: Decimal,
    reason: str,
    intent_id: uuid.UUID,
    seller_comment: str = "",
    customer_return: CustomerReturn | None = None,
    actor=None,
) -> tuple[Refund, bool]:
    """Record the refund (committed before any call) and whether this call recorded it: a second submit of the
    same form (``intent_id``) gets the refund already recorded. Raises ``RefundRefused``."""
    existing = Refund.objects.filter(command_id=intent_id).first()
    if existing is not None:
        return existing, False
    if reason not in RefundReason.values:
        raise RefundRefused([_("Choose the reason of the refund.")])
    try:
        with transaction.atomic():
            # The order row is the lock: two refunds of one order are checked one after the other.
            Order.objects.select_for_update().filter(pk=order.pk).first()
            quote = refund_quote(order=order, quantities=quantities, delivery_amount=delivery_amount)
            if not quote.errors and quote.total <= 0:
                quote.errors.append(_("Choose what to refund: the amount is 0."))
            if quote.errors:
                raise RefundRefused(quote.errors)
            refund = Refund.objects.create(
                account=quote.checkout.account,
                order=order,
                customer_return=customer_return,
                command_id=intent_id,
                checkout_form_id=quote.checkout.checkout_form_id,
                payment_id=quote.payment_id,
                reason=reason,
                lines=[
                    {
                        "line_item_id": line.line_item_id,
                        "order_line_id": line.order_line.pk,
                        "name": line.order_line.name,
                        "quantity": line.quantity,
                        "unit_price": str(line.order_line.unit_price),
                        "amount": str(line.amount),
                    }
                    for line in quote.lines
                    if line.quantity
                ],
                delivery_amount=quote.delivery_amount,
                total=quote.total,
                currency=order.currency,
                seller_comment=seller_comment.strip()[:250],
                created_by=actor,
            )
            event_log(
                kind=EventKind.ORDER,
                action="refund_recorded",
                message=_("Refund of %(total)s %(currency)s recorded (%(reason)s); sending it to Allegro.")
                % {"total": refund.total, "currency": refund.currency, "reason": refund.get_reason_display()},
                account=refund.account,
                order_id=order.pk,
                actor=actor,
            )
    except IntegrityError:
        # The same form submitted twice at the same moment: the other submit recorded it.
        return Refund.objects.get(command_id=intent_id), False
    return refund, True


def refund_body(*, refund: Refund) -> dict:
    """The request of ``POST /payments/refunds``: built from the stored row only, so every attempt sends the same."""
    body: dict = {
        "payment": {"id": refund.payment_id},
        "order": {"id": refund.checkout_form_id},
        "reason": refund.reason,
        "commandId": str(refund.command_id),
        "lineItems": [
            {"id": line["line_item_id"], "type": "QUANTITY", "quantity": line["quantity"]} for line in refund.lines
        ],
    }
    if refund.delivery_amount > 0:
        body["delivery"] = {"value": {"amount": str(refund.delivery_amount), "currency": refund.currency}}
    if refund.seller_comment:
        body["sellerComment"] = refund.seller_comment
    return body


def refund_send(*, refund: Refund) -> Refund:
    """Send the refund to Allegro (again, with the same command id, if an earlier attempt got no answer).

    Allegro refusing it is final (the row says why); no answer (timeout, 5xx, 429) raises ``AllegroRetryLater`` /
    ``AllegroRateLimited`` for the task to retry."""
    refund = Refund.objects.select_related("account__app").get(pk=refund.pk)
    if refund.state != RefundState.PENDING:
        return refund
    Refund.objects.filter(pk=refund.pk).update(attempts=refund.attempts + 1)
    client = account_client(account=refund.account)
    try:
        answer = client.initiate_refund(refund_body(refund=refund))
    except PERMANENT as exc:
        message = "; ".join(exc.user_messages)
        Refund.objects.filter(pk=refund.pk, state=RefundState.PENDING).update(
            state=RefundState.FAILED, last_error=message
        )
        event_log(
            kind=EventKind.ORDER,
            action="refund_refused",
            message=_("Allegro refused the refund of %(total)s %(currency)s: %(error)s")
            % {"total": refund.total, "currency": refund.currency, "error": message},
            account=refund.account,
            order_id=refund.order_id,
            success=False,
            trace_id=exc.trace_id,
        )
        refund.refresh_from_db()
        return refund
    except AllegroError as exc:
        Refund.objects.filter(pk=refund.pk).update(last_error=str(exc)[:2000])
        raise
    doc = parse_refund(answer)
    Refund.objects.filter(pk=refund.pk).update(
        state=RefundState.SENT,
        allegro_id=doc.id[:64],
        allegro_status=doc.status[:20],
        sent_at=timezone.now(),
        last_error="",
    )
    event_log(
        kind=EventKind.ORDER,
        action="refund_sent",
        message=_("Allegro accepted the refund of %(total)s %(currency)s (status %(status)s).")
        % {"total": refund.total, "currency": refund.currency, "status": _status_label(doc.status)},
        account=refund.account,
        order_id=refund.order_id,
    )
    refund.refresh_from_db()
    return refund


def refund_refresh(*, refund: Refund) -> Refund:
    """Read the refund's state back from Allegro (a refund made is NEW for a while, then SUCCESS)."""
    if not refund.allegro_id:
        return refund
    client = account_client(account=refund.account)
    data = client.get_refunds(params={"id": refund.allegro_id, "limit": 1})
    for raw in data.get("refunds") or []:
        doc = parse_refund(raw)
        if doc.id == refund.allegro_id and doc.status and doc.status != refund.allegro_status:
            Refund.objects.filter(pk=refund.pk).update(allegro_status=doc.status[:20])
            event_log(
                kind=EventKind.ORDER,
                action="refund_status",
                message=_("Refund of %(total)s %(currency)s: Allegro status %(status)s.")
                % {"total": refund.total, "currency": refund.currency, "status": _status_label(doc.status)},
                account=refund.account,
                order_id=refund.order_id,
            )
    refund.refresh_from_db()
    return refund
