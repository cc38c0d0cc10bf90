"""Receivers of the sync room, connected in AllegroConfig.ready()."""

from __future__ import annotations

from allegro.sync.services.queue import offers_queue_for_products
from allegro.sync.tasks import sync_flush_enqueue


def product_changed_receiver(sender, product_ids=frozenset(), fields=frozenset(), reason="", **kwargs) -> None:
    """shop.signals.product_changed (sent on commit): queue the products' offers; when this change opened a
    new debounce window, the flush task follows after commit, with the window as its countdown."""
    queued = offers_queue_for_products(product_ids=product_ids, fields=fields, reason=reason)
    if queued.flush_countdown is not None:
        sync_flush_enqueue(countdown=queued.flush_countdown)
