"""Receivers of the checkouts room, connected in AllegroConfig.ready()."""

from __future__ import annotations

from allegro.checkouts.services.writeback import order_status_needs_writeback
from allegro.checkouts.tasks import order_push_fulfillment


def order_status_changed_receiver(sender, *, order_id: int, to_status: str, origin: str = "", **kwargs) -> None:
    """orders.signals.order_status_changed (sent on commit): send the matching fulfillment status to Allegro
    in a task after commit, when the order came from Allegro and the change did not."""
    if order_status_needs_writeback(order_id=order_id, to_status=to_status, origin=origin):
        order_push_fulfillment.delay_on_commit(order_id, to_status)
