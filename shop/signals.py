"""Domain signals of the shop. Other apps (Allegro sync) listen; the shop never imports them.

``product_changed`` is sent after the transaction that changed the products commits, with
``product_ids`` (a frozenset), ``fields`` (a frozenset of "price", "stock", "visible", "deleted")
and ``reason`` (a short human text, e.g. "order 2026/000123").

Inside ``product_changes_batched()`` (a bulk operation such as an order import of hundreds of
orders) the announcements are collected and sent once per distinct set of fields when the block
ends, instead of once per change: listeners then do one query for the whole batch.
"""

import threading
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import transaction
from django.dispatch import Signal

product_changed = Signal()

WATCHED_FIELDS = frozenset({"price", "stock", "visible"})

_local = threading.local()


def _send_on_commit(ids: frozenset, changed: frozenset, reason: str) -> None:
    transaction.on_commit(
        lambda: product_changed.send(sender=None, product_ids=ids, fields=changed, reason=reason),
        robust=True,
    )


def announce_product_change(*, product_ids: Iterable[int], fields: Iterable[str], reason: str = "") -> None:
    """Send ``product_changed`` once the current transaction commits (immediately outside one)."""
    ids = frozenset(product_ids)
    changed = frozenset(fields)
    if not ids or not changed:
        return
    batch = getattr(_local, "batch", None)
    if batch is not None:
        entry = batch.setdefault(changed, ({}, []))
        entry[0].update(dict.fromkeys(ids))
        if reason and reason not in entry[1]:
            entry[1].append(reason)
        return
    _send_on_commit(ids, changed, reason)


@contextmanager
def product_changes_batched():
    """Collect the announcements made inside the block and send them grouped by fields.

    Whatever happens in the block, what was collected is announced (on commit of the surrounding
    transaction): announcing a change that was rolled back costs a listener a needless check,
    never a missed change.
    """
    if getattr(_local, "batch", None) is not None:  # nested: the outer block sends
        yield
        return
    _local.batch = {}
    try:
        yield
    finally:
        batch, _local.batch = _local.batch, None
        for changed, (ids, reasons) in batch.items():
            reason = ", ".join(reasons[:3]) + (f" (+{len(reasons) - 3})" if len(reasons) > 3 else "")
            _send_on_commit(frozenset(ids), changed, reason)
