"""Domain signals of the shop. Other apps (Allegro sync) listen; the shop never imports them.

``product_changed`` is sent after the transaction that changed the products commits, with
``product_ids`` (a frozenset) and ``fields`` (a frozenset of "price", "stock", "visible",
"deleted") and ``reason`` (a short human text, e.g. "order #123").
"""

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

product_changed = Signal()

WATCHED_FIELDS = frozenset({"price", "stock", "visible"})


def announce_product_change(*, product_ids: Iterable[int], fields: Iterable[str], reason: str = "") -> None:
    """Send ``product_changed`` once the current transaction commits (immediately outside one)."""
    ids = frozenset(product_ids)
    changed = frozenset(fields)
    if not ids or not changed:
        return
    transaction.on_commit(
        lambda: product_changed.send(sender=None, product_ids=ids, fields=changed, reason=reason),
        robust=True,
    )
