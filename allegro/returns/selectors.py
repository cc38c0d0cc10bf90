"""Reads of the returns room: returns waiting for a decision, an order's returns, refunds and claims."""

from __future__ import annotations

import uuid

from django.db.models import Count, QuerySet

from allegro.returns.models import (
    CLOSED_RETURN_STATUSES,
    CustomerReturn,
    Refund,
    RefundClaim,
    ReturnDecision,
)


def returns_waiting_for_decision() -> QuerySet[CustomerReturn]:
    """Returns nobody has accepted or rejected yet, still open on Allegro."""
    return CustomerReturn.objects.filter(decision=ReturnDecision.WAITING).exclude(status__in=CLOSED_RETURN_STATUSES)


def returns_waiting_per_account() -> dict[int, int]:
    """{account id: returns waiting for a decision} in one query (the dashboard's line)."""
    rows = returns_waiting_for_decision().order_by().values("account_id").annotate(n=Count("id"))
    return {row["account_id"]: row["n"] for row in rows}


def order_returns(*, order_id: int) -> QuerySet[CustomerReturn]:
    return CustomerReturn.objects.filter(order_id=order_id).prefetch_related("items").order_by("created_at", "pk")


def order_refunds(*, order_id: int) -> QuerySet[Refund]:
    return Refund.objects.filter(order_id=order_id).order_by("created_at", "pk")


def order_refund_claims(*, order_id: int) -> QuerySet[RefundClaim]:
    return RefundClaim.objects.filter(order_id=order_id).order_by("created_at", "pk")


def refund_for_intent(*, intent: str) -> Refund | None:
    """The refund a refund form (its ``intent``, the command id) already recorded, if any."""
    try:
        command_id = uuid.UUID(str(intent))
    except ValueError:
        return None
    return Refund.objects.filter(command_id=command_id).first()
