"""The event log ("dziennik zdarzeń"). Services say who or which rule caused the work with
``event_context``; every entry written inside it carries that actor and rule."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.utils import timezone

from allegro.core.models import EventLogEntry

if TYPE_CHECKING:  # a type hint only: core sits below accounts and never imports it at run time
    from allegro.accounts.models import AllegroAccount

_actor: contextvars.ContextVar = contextvars.ContextVar("allegro_event_actor", default=None)
_rule: contextvars.ContextVar = contextvars.ContextVar("allegro_event_rule", default="")


@contextmanager
def event_context(*, actor=None, rule: str = ""):
    """Attribute everything logged inside to ``actor`` (a user) or ``rule`` (an automatic rule)."""
    actor_token = _actor.set(actor)
    rule_token = _rule.set(rule)
    try:
        yield
    finally:
        _actor.reset(actor_token)
        _rule.reset(rule_token)


def event_log(
    *,
    kind: str,
    action: str,
    message: str,
    account: AllegroAccount | None = None,
    success: bool = True,
    offer_id: str = "",
    product_id: int | None = None,
    order_id: int | None = None,
    request_summary: dict | None = None,
    response_summary: dict | None = None,
    trace_id: str = "",
    actor=None,
    rule: str = "",
) -> EventLogEntry:
    """Write one event log entry. Callers pass summaries, never secrets or raw tokens."""
    actor = actor if actor is not None else _actor.get()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return EventLogEntry.objects.create(
        kind=kind,
        action=action[:60],
        message=message,
        account=account,
        success=success,
        offer_id=offer_id,
        product_id=product_id,
        order_id=order_id,
        request_summary=request_summary or {},
        response_summary=response_summary or {},
        trace_id=trace_id[:100],
        actor=actor,
        rule=(rule or _rule.get())[:120],
    )


# --- event log retention ---------------------------------------------------------------------------


def event_log_prune(*, days: int | None = None) -> int:
    """Delete event log entries older than ``days`` (default: ALLEGRO_EVENT_LOG_RETENTION_DAYS, 90); the count.

    Deletes in batches so a big backlog does not hold one long transaction."""
    from datetime import timedelta

    from django.conf import settings

    from allegro.core.models import EventLogEntry

    days = int(days if days is not None else getattr(settings, "ALLEGRO_EVENT_LOG_RETENTION_DAYS", 90))
    cutoff = timezone.now() - timedelta(days=max(days, 1))
    total = 0
    while True:
        batch = list(EventLogEntry.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:5000])
        if not batch:
            return total
        total += EventLogEntry.objects.filter(pk__in=batch).delete()[0]
