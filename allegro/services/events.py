"""The event log ("dziennik zdarzeń"). Services say who or which rule caused the work with
``event_context``; every entry written inside it carries that actor and rule."""

import contextvars
from contextlib import contextmanager

from allegro.models import AllegroAccount, EventLogEntry

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
