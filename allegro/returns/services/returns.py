"""Customer returns: imported from Allegro for every account, decided by staff (accepted, or rejected with
Allegro's rejection call) and received into stock exactly once.

The import reads every return created in the last ``WINDOW`` (statuses move for weeks: parcels, delivery,
refund), one page of up to 1000 per call, and upserts each by (account, Allegro return id): a repeated or
overlapping import stores one return and changes nothing that did not change. It holds the account's lease
"returns:<id>" so two workers never import the same account at once.

"Przyjęto na magazyn" gives each returned item's quantity back to its product through the shop's stock
service with the reference ``allegro-return:<account>:<return id>:<position>``: the movement's unique key makes
a double click, two staff members at once or a repeated import unable to add the stock twice. The offers
follow through the shop's ``product_changed`` signal (the sync room).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout
from allegro.core.models import EventKind
from allegro.core.services.events import event_context, event_log
from allegro.core.services.leases import HeldLease, LeaseBusy, lease_hold
from allegro.integration.client import AllegroError, AllegroValidationError
from allegro.integration.schemas.returns import CustomerReturnDoc, parse_customer_return
from allegro.returns.models import (
    CLOSED_RETURN_STATUSES,
    CustomerReturn,
    CustomerReturnItem,
    RejectionCode,
    ReturnDecision,
    ReturnReason,
    ReturnsCursor,
    ReturnStatus,
)
from orders.models import OrderLine
from shop.services.stock import stock_release

logger = logging.getLogger("allegro.returns")

WINDOW = timedelta(days=60)  # returns younger than this are read again each round (their status still moves)
PAGE = 1000  # /order/customer-returns limit (max 1000)
MAX_PAGES = 50


class ReturnActionRefused(Exception):
    """A decision that cannot be made (already decided, closed on Allegro, nothing to receive); ``message`` says why."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass
class ReturnsImportResult:
    account_id: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    busy: bool = False
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.busy:
            return _("An import of this account is running; try again in a minute.")
        return _("new returns: %(created)d, updated: %(updated)d, unchanged: %(unchanged)d") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def returns_cursor_for(*, account: AllegroAccount) -> ReturnsCursor:
    """The account's import row (created on first use)."""
    cursor = ReturnsCursor.objects.filter(account=account).first()
    if cursor is not None:
        return cursor
    try:
        with transaction.atomic():
            return ReturnsCursor.objects.create(account=account)
    except IntegrityError:
        return ReturnsCursor.objects.get(account=account)


def _iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _line_for(checkout: AllegroCheckout | None, offer_id: str) -> OrderLine | None:
    """The order line of the returned offer: the checkout form names the line item sold from the offer."""
    if checkout is None or checkout.order_id is None:
        return None
    line_ids = [
        li.get("id")
        for li in (checkout.payload or {}).get("lineItems") or []
        if isinstance(li, dict) and str((li.get("offer") or {}).get("id")) == offer_id
    ]
    if not line_ids:
        return None
    return (
        OrderLine.objects.filter(order_id=checkout.order_id, external_id__in=line_ids)
        .select_related("product")
        .order_by("pk")
        .first()
    )


def _store(*, account: AllegroAccount, doc: CustomerReturnDoc, raw: dict, lease: HeldLease, result) -> None:
    checkout = (
        AllegroCheckout.objects.filter(account=account, checkout_form_id=doc.orderId).select_related("order").first()
    )
    status = doc.status if doc.status in ReturnStatus.values else ReturnStatus.CREATED
    parcels = [p.stored() for p in doc.parcels]
    values = {
        "reference_number": doc.referenceNumber[:64],
        "checkout_form_id": doc.orderId,
        "status": status,
        "buyer_login": doc.buyer.login[:100],
        "buyer_email": doc.buyer.email[:254],
        "parcels": parcels,
        "payload": raw,
        "created_at": doc.createdAt,
    }
    with transaction.atomic():
        lease.check()
        existing = CustomerReturn.objects.select_for_update().filter(account=account, return_id=doc.id).first()
        if existing is None:
            customer_return = CustomerReturn.objects.create(
                account=account, return_id=doc.id, order=checkout.order if checkout else None, **values
            )
            for position, item in enumerate(doc.items):
                line = _line_for(checkout, item.offerId)
                CustomerReturnItem.objects.create(
                    customer_return=customer_return,
                    position=position,
                    offer_id=item.offerId[:32],
                    name=item.name[:255],
                    quantity=max(item.quantity, 1),
                    unit_price=item.price.amount,
                    currency=item.price.currency[:3] or "PLN",
                    reason=item.reason.type[:32],
                    buyer_comment=item.reason.userComment,
                    order_line=line,
                )
            result.created += 1
            event_log(
                kind=EventKind.ORDER,
                action="return_imported",
                message=_("Customer return %(number)s imported (%(status)s): %(reasons)s")
                % {
                    "number": customer_return,
                    "status": customer_return.get_status_display(),
                    "reasons": "; ".join(
                        f"{i.name} × {i.quantity}: {ReturnReason(i.reason.type).label if i.reason.type in ReturnReason.values else i.reason.type}"
                        + (f" – {i.reason.userComment}" if i.reason.userComment else "")
                        for i in doc.items
                    ),
                },
                account=account,
                order_id=customer_return.order_id,
            )
            return
        changed: dict[str, Any] = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if existing.order_id is None and checkout is not None and checkout.order_id is not None:
            # The order arrived after the return: link them, and the items to their lines.
            changed["order"] = checkout.order
            for stored in existing.items.filter(order_line__isnull=True):
                stored.order_line = _line_for(checkout, stored.offer_id)
                stored.save(update_fields=["order_line"])
        if doc.rejection and doc.rejection.code and existing.decision == ReturnDecision.WAITING:
            # Rejected outside the panel (or our own call whose answer was lost): Allegro's word counts.
            changed.update(
                decision=ReturnDecision.REJECTED,
                rejection_code=doc.rejection.code[:32],
                rejection_reason=doc.rejection.reason[:250],
                decided_at=timezone.now(),
            )
        if not changed:
            CustomerReturn.objects.filter(pk=existing.pk).update(last_seen_at=timezone.now())
            result.unchanged += 1
            return
        before = existing.status
        for name, value in changed.items():
            setattr(existing, name, value)
        existing.last_seen_at = timezone.now()
        existing.save()
        result.updated += 1
        if before != existing.status:
            event_log(
                kind=EventKind.ORDER,
                action="return_status",
                message=_("Customer return %(number)s: %(status)s")
                % {"number": existing, "status": existing.get_status_display()},
                account=account,
                order_id=existing.order_id,
            )


def returns_import_account(*, account: AllegroAccount) -> ReturnsImportResult:
    """Import the account's customer returns (new ones and the changes of recent ones).

    What the beat schedule runs for every account and what the sync job calls; safe to run twice (one
    return per Allegro id) and skipped quietly when another import of the account holds its lease."""
    result = ReturnsImportResult(account_id=account.pk)
    cursor = returns_cursor_for(account=account)
    try:
        with event_context(rule="returns import"), lease_hold(key=f"returns:{account.pk}") as lease:
            client = account_client(account=account)
            since = timezone.now() - WINDOW
            params = {"createdAt.gte": _iso(since), "limit": PAGE}
            for page in range(MAX_PAGES):
                data = client.get_customer_returns(params={**params, "offset": page * PAGE})
                raws = data.get("customerReturns") or []
                for raw in raws:
                    doc = parse_customer_return(raw)
                    if doc is None:
                        result.skipped += 1
                        continue
                    _store(account=account, doc=doc, raw=raw, lease=lease, result=result)
                if len(raws) < PAGE:
                    break
    except LeaseBusy:
        result.busy = True
        return result
    except AllegroError as exc:
        ReturnsCursor.objects.filter(pk=cursor.pk).update(last_error=str(exc)[:2000])
        raise
    ReturnsCursor.objects.filter(pk=cursor.pk).update(last_import_at=timezone.now(), last_error="")
    return result


def returns_import_all_accounts() -> dict[int, ReturnsImportResult]:
    """Import the returns of every connected account (one failing account does not stop the others)."""
    results = {}
    for account in AllegroAccount.objects.filter(state=ConnectionState.CONNECTED).select_related("app").order_by("pk"):
        try:
            results[account.pk] = returns_import_account(account=account)
        except Exception as exc:
            logger.exception("return import of account %s failed", account.pk)
            results[account.pk] = ReturnsImportResult(account_id=account.pk, errors=[str(exc)])
    return results


# --- decisions ---------------------------------------------------------------------------------------------


def _decide(customer_return: CustomerReturn) -> CustomerReturn:
    locked = CustomerReturn.objects.select_for_update().get(pk=customer_return.pk)
    if locked.decision != ReturnDecision.WAITING:
        raise ReturnActionRefused(
            _("This return has already been decided: %(decision)s.") % {"decision": locked.get_decision_display()}
        )
    if locked.status in CLOSED_RETURN_STATUSES:
        raise ReturnActionRefused(
            _("This return is closed on Allegro: %(status)s.") % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def customer_return_accept(*, customer_return: CustomerReturn, actor=None) -> CustomerReturn:
    """Accept the return: the money goes back with a refund of its items (the refund page is filled in with them)."""
    locked = _decide(customer_return)
    locked.decision = ReturnDecision.ACCEPTED
    locked.decided_at = timezone.now()
    locked.decided_by = actor
    locked.save(update_fields=["decision", "decided_at", "decided_by"])
    event_log(
        kind=EventKind.ORDER,
        action="return_accepted",
        message=_("Customer return %(number)s accepted.") % {"number": locked},
        account=locked.account,
        order_id=locked.order_id,
        actor=actor,
    )
    return locked


def customer_return_reject(
    *, customer_return: CustomerReturn, code: str, reason: str = "", actor=None
) -> CustomerReturn:
    """Refuse the refund of the return with Allegro's rejection call, and record the decision and its reason.

    The call is not repeated blindly: when it fails without an answer the return is read back, and a return
    Allegro already shows as rejected counts as done."""
    if code not in RejectionCode.values:
        raise ReturnActionRefused(_("Choose why the refund is refused."))
    if code == RejectionCode.REFUND_REJECTED and not reason.strip():
        raise ReturnActionRefused(_("Give the reason of the refusal: the buyer will read it."))
    with transaction.atomic():
        _decide(customer_return)
    client = account_client(account=customer_return.account)
    try:
        answer = client.reject_customer_return(customer_return.return_id, code=code, reason=reason.strip())
    except AllegroValidationError:
        answer = client.get_customer_return(customer_return.return_id)
        if (answer.get("status") or "") != ReturnStatus.REJECTED:
            raise
    doc = parse_customer_return(answer)
    with transaction.atomic():
        locked = _decide(customer_return)
        locked.decision = ReturnDecision.REJECTED
        locked.rejection_code = code
        locked.rejection_reason = reason.strip()[:250]
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        if doc is not None and doc.status in ReturnStatus.values:
            locked.status = doc.status
            locked.payload = answer
        locked.save()
        event_log(
            kind=EventKind.ORDER,
            action="return_rejected",
            message=_("Customer return %(number)s rejected: %(code)s %(reason)s")
            % {"number": locked, "code": locked.get_rejection_code_display(), "reason": locked.rejection_reason},
            account=locked.account,
            order_id=locked.order_id,
            actor=actor,
        )
    return locked


def customer_return_stock_reference(*, item: CustomerReturnItem, customer_return: CustomerReturn) -> str:
    # One movement per (account, return, item): receiving the parcel twice never adds stock twice.
    return f"allegro-return:{customer_return.account_id}:{customer_return.return_id}:{item.position}"


@transaction.atomic
def customer_return_restock(*, customer_return: CustomerReturn, actor=None) -> int:
    """ "Przyjęto na magazyn": put the returned quantities back in stock; the number of pieces added (0 on a repeat)."""
    locked = CustomerReturn.objects.select_for_update().get(pk=customer_return.pk)
    items = list(locked.items.select_related("order_line__product").order_by("position"))
    if not any(item.order_line and item.order_line.product_id for item in items):
        raise ReturnActionRefused(_("No returned item is linked to a shop product: there is no stock to give back."))
    added = 0
    for item in items:
        product = item.order_line.product if item.order_line else None
        if product is None or item.restocked:
            continue
        applied = stock_release(
            product=product,
            quantity=item.quantity,
            reason=_("Allegro return %(number)s") % {"number": locked},
            reference=customer_return_stock_reference(item=item, customer_return=locked),
        )
        CustomerReturnItem.objects.filter(pk=item.pk).update(restocked=True)
        if applied:
            added += item.quantity
    if locked.restocked_at is None:
        locked.restocked_at = timezone.now()
        locked.save(update_fields=["restocked_at"])
    if added:
        event_log(
            kind=EventKind.ORDER,
            action="return_restocked",
            message=_("Customer return %(number)s received into stock: %(count)d pcs.")
            % {"number": locked, "count": added},
            account=locked.account,
            order_id=locked.order_id,
            actor=actor,
        )
    return added
