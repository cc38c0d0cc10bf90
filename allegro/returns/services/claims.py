"""Commission refund claims ("wnioski o rabat transakcyjny") for cancelled or unpaid Allegro purchases.

Allegro accepts a claim only after its waiting period and only once per line item. ``POST /order/refund-claims``
takes no idempotency key, so a claim is a ``RefundClaim`` row committed before the call with its attempt
counted; an attempt after one whose answer was lost first searches Allegro's claims for the line item and
adopts the claim found, so a retry never files a second claim. The automatic rule of an account ("po 7 dniach
bez płatności") files a claim for every line of a purchase unpaid (or cancelled) for that many days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout
from allegro.core.models import EventKind
from allegro.core.services.events import event_context, event_log
from allegro.integration.client import AllegroError, AllegroForbidden, AllegroNotFound, AllegroValidationError
from allegro.integration.schemas.returns import parse_refund_claim
from allegro.returns.models import ClaimState, ClaimStatus, RefundClaim
from allegro.returns.services.returns import returns_cursor_for

logger = logging.getLogger("allegro.returns")

PERMANENT = (AllegroValidationError, AllegroNotFound, AllegroForbidden)
CLAIM_WINDOW = timedelta(days=90)  # purchases older than the rule's days plus this are not looked at any more
FINAL_CLAIM_STATUSES = frozenset({"GRANTED", "REJECTED", "REJECTED_AFTER_APPEAL", "CANCELLED"})


class ClaimRefused(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass
class ClaimableLine:
    checkout: AllegroCheckout
    line_item_id: str
    offer_id: str
    name: str
    quantity: int
    bought_at: datetime | None


def _unpaid_or_cancelled(checkout: AllegroCheckout) -> bool:
    payment = (checkout.payload or {}).get("payment") or {}
    if checkout.status == "CANCELLED":
        return True
    return not payment.get("finishedAt") and payment.get("type") != "CASH_ON_DELIVERY"


def refund_claim_lines(*, checkout: AllegroCheckout) -> list[ClaimableLine]:
    """The checkout form's lines a claim could be filed for (the purchase cancelled or unpaid), without a claim yet."""
    if not _unpaid_or_cancelled(checkout):
        return []
    claimed = set(
        RefundClaim.objects.filter(account_id=checkout.account_id, line_item_id__in=_line_ids(checkout))
        .exclude(state=ClaimState.FAILED)
        .values_list("line_item_id", flat=True)
    )
    lines = []
    for li in (checkout.payload or {}).get("lineItems") or []:
        if not isinstance(li, dict) or not li.get("id") or li["id"] in claimed:
            continue
        bought = parse_datetime(str(li.get("boughtAt") or "")) if li.get("boughtAt") else None
        lines.append(
            ClaimableLine(
                checkout=checkout,
                line_item_id=str(li["id"]),
                offer_id=str((li.get("offer") or {}).get("id") or ""),
                name=str((li.get("offer") or {}).get("name") or ""),
                quantity=int(li.get("quantity") or 1),
                bought_at=bought,
            )
        )
    return lines


def _line_ids(checkout: AllegroCheckout) -> list[str]:
    return [
        str(li["id"]) for li in (checkout.payload or {}).get("lineItems") or [] if isinstance(li, dict) and li.get("id")
    ]


def refund_claim_create(
    *, checkout: AllegroCheckout, line_item_id: str, quantity: int | None = None, automatic: bool = False, actor=None
) -> RefundClaim:
    """Record a claim for one line (committed before it is sent). Raises ``ClaimRefused``."""
    line = next((li for li in refund_claim_lines(checkout=checkout) if li.line_item_id == line_item_id), None)
    if line is None:
        raise ClaimRefused(_("A claim cannot be filed for this line: the purchase is paid, or a claim exists already."))
    quantity = line.quantity if quantity is None else quantity
    if not 1 <= quantity <= line.quantity:
        raise ClaimRefused(_("You can claim for 1 to %(n)d pcs.") % {"n": line.quantity})
    try:
        with transaction.atomic():
            claim = RefundClaim.objects.create(
                account_id=checkout.account_id,
                order_id=checkout.order_id,
                checkout_form_id=checkout.checkout_form_id,
                line_item_id=line.line_item_id,
                offer_id=line.offer_id[:32],
                buyer_id=checkout.buyer_id,
                name=line.name[:255],
                quantity=quantity,
                automatic=automatic,
                created_by=actor,
            )
    except IntegrityError:
        raise ClaimRefused(_("A claim for this line exists already.")) from None
    return claim


def _find_on_allegro(client, claim: RefundClaim) -> dict | None:
    params: dict[str, Any] = {"limit": 100}
    if claim.offer_id:
        params["lineItem.offer.id"] = claim.offer_id
    for raw in client.get_refund_claims(params=params).get("refundClaims") or []:
        doc = parse_refund_claim(raw)
        if doc.lineItem.id == claim.line_item_id and doc.status != "CANCELLED":
            return raw
    return None


def refund_claim_send(*, claim: RefundClaim) -> RefundClaim:
    """File the claim on Allegro; a claim already filed by an attempt whose answer was lost is adopted."""
    claim = RefundClaim.objects.select_related("account__app").get(pk=claim.pk)
    if claim.state != ClaimState.PENDING:
        return claim
    client = account_client(account=claim.account)
    found = _find_on_allegro(client, claim) if claim.attempts else None
    RefundClaim.objects.filter(pk=claim.pk).update(attempts=claim.attempts + 1)
    if found is None:
        try:
            created = client.create_refund_claim(line_item_id=claim.line_item_id, quantity=claim.quantity)
        except PERMANENT as exc:
            message = "; ".join(exc.user_messages)
            RefundClaim.objects.filter(pk=claim.pk).update(state=ClaimState.FAILED, last_error=message)
            event_log(
                kind=EventKind.ORDER,
                action="claim_refused",
                message=_("Allegro refused the commission refund claim for %(name)s: %(error)s")
                % {"name": claim.name or claim.line_item_id, "error": message},
                account=claim.account,
                order_id=claim.order_id,
                success=False,
                trace_id=exc.trace_id,
            )
            claim.refresh_from_db()
            return claim
        except AllegroError as exc:
            RefundClaim.objects.filter(pk=claim.pk).update(last_error=str(exc)[:2000])
            raise
        found = client.get_refund_claim(str(created.get("id") or "")) if created.get("id") else {"id": ""}
        found = found or {"id": created.get("id", "")}
    doc = parse_refund_claim(found)
    RefundClaim.objects.filter(pk=claim.pk).update(
        state=ClaimState.SENT,
        allegro_id=doc.id[:64],
        status=(doc.status or "IN_PROGRESS")[:32],
        commission=doc.commission.amount if doc.commission.amount else None,
        sent_at=timezone.now(),
        checked_at=timezone.now(),
        last_error="",
    )
    event_log(
        kind=EventKind.ORDER,
        action="claim_filed",
        message=_("Commission refund claim filed for %(name)s × %(qty)d (%(why)s).")
        % {
            "name": claim.name or claim.line_item_id,
            "qty": claim.quantity,
            "why": _("automatic rule") if claim.automatic else _("by staff"),
        },
        account=claim.account,
        order_id=claim.order_id,
    )
    claim.refresh_from_db()
    return claim


def refund_claims_refresh(*, account: AllegroAccount) -> int:
    """Read the status of the account's open claims back from Allegro; the number that changed."""
    changed = 0
    open_claims = RefundClaim.objects.filter(account=account, state=ClaimState.SENT).exclude(
        status__in=FINAL_CLAIM_STATUSES
    )
    if not open_claims.exists():
        return 0
    client = account_client(account=account)
    for claim in open_claims:
        doc = parse_refund_claim(client.get_refund_claim(claim.allegro_id))
        updates: dict[str, Any] = {"checked_at": timezone.now()}
        if doc.status and doc.status != claim.status:
            updates["status"] = doc.status[:32]
            changed += 1
            event_log(
                kind=EventKind.ORDER,
                action="claim_status",
                message=_("Commission refund claim for %(name)s: %(status)s")
                % {
                    "name": claim.name or claim.line_item_id,
                    "status": ClaimStatus(doc.status).label if doc.status in ClaimStatus.values else doc.status,
                },
                account=account,
                order_id=claim.order_id,
            )
        RefundClaim.objects.filter(pk=claim.pk).update(**updates)
    return changed


def refund_claims_auto(*, account: AllegroAccount, now: datetime | None = None) -> list[RefundClaim]:
    """The account's automatic rule: a claim for every line unpaid or cancelled for ``claim_after_days`` days."""
    cursor = returns_cursor_for(account=account)
    if not cursor.auto_claims:
        return []
    now = now or timezone.now()
    cutoff = now - timedelta(days=cursor.claim_after_days)
    made = []
    with event_context(rule=_("after %(days)d days without payment") % {"days": cursor.claim_after_days}):
        checkouts = AllegroCheckout.objects.filter(
            account=account, first_seen_at__lte=cutoff, first_seen_at__gte=cutoff - CLAIM_WINDOW
        )
        for checkout in checkouts.select_related("account__app").order_by("pk"):
            for line in refund_claim_lines(checkout=checkout):
                if line.bought_at is None or line.bought_at > cutoff:
                    continue
                try:
                    claim = refund_claim_create(checkout=checkout, line_item_id=line.line_item_id, automatic=True)
                except ClaimRefused:
                    continue
                try:
                    made.append(refund_claim_send(claim=claim))
                except AllegroError:
                    logger.warning("claim %s not sent yet", claim.pk, exc_info=True)
                    made.append(claim)
    type(cursor).objects.filter(pk=cursor.pk).update(last_claims_run_at=now)
    return made


def refund_claims_auto_all() -> int:
    """Run every connected account's automatic rule and refresh its open claims; the number of claims filed."""
    total = 0
    for account in AllegroAccount.objects.filter(state=ConnectionState.CONNECTED).select_related("app").order_by("pk"):
        try:
            total += len(refund_claims_auto(account=account))
            refund_claims_refresh(account=account)
        except Exception:
            logger.exception("commission claims of account %s failed", account.pk)
    return total
