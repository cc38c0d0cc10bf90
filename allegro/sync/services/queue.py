"""Dirty-offer queue, debounced flush scheduling and the per-account sync lock.

The shop's ``product_changed`` signal (sent on commit) lands in ``offers_queue_for_products``: one SELECT of the
affected offers, one INSERT ... ON CONFLICT into ``OfferSyncQueue`` and one conditional UPDATE of the "flush"
marker. Only the signal that moves the marker enqueues a flush task (countdown = the debounce window; the
receiver enqueues it after commit), so a thousand changes in two seconds give one task and one set of batch
commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from allegro.offers.models import Offer, OfferStatus
from allegro.sync.models import OfferSyncQueue, SyncMarker

# Offer states the engine keeps in line with the shop; ended ones only when they renew after the end.
LIVE_STATUSES = (OfferStatus.ACTIVE, OfferStatus.ACTIVATING)


def debounce_seconds() -> float | None:
    """Seconds a flush waits for more changes; None disables automatic flushing (benchmarks, previews)."""
    value = getattr(settings, "ALLEGRO_SYNC_DEBOUNCE_SECONDS", 2.0)
    return None if value is None else float(value)


def _sync_enabled_accounts() -> Q:
    return (
        Q(account__sync_prices=True)
        | Q(account__sync_stock=True)
        | Q(account__sync_close_sold_out=True)
        | Q(account__sync_renew_ended=True)
    )


@dataclass(frozen=True)
class Queued:
    """What ``offers_queue_for_products`` did: how many offers it queued, and the countdown of the flush task
    its caller must enqueue after commit (None: a flush is already due, or automatic flushing is off)."""

    count: int = 0
    flush_countdown: float | None = None


def offers_queue_for_products(*, product_ids: Iterable[int], fields: Iterable[str], reason: str = "") -> Queued:
    """Queue the offers of these products (every account with a sync switch on) and open a flush window.

    Deleted products have already lost their offers' ``product`` link (SET NULL), so "deleted" queues the
    orphaned live offers instead."""
    ids = list(product_ids)
    fields = set(fields)
    if not ids and "deleted" not in fields:
        return Queued()
    wanted = Q(status__in=LIVE_STATUSES) | Q(status=OfferStatus.ENDED, renew_after_end=True)
    which = Q(product_id__in=ids)
    if "deleted" in fields:
        which |= Q(product__isnull=True, status__in=LIVE_STATUSES)
    rows = list(
        Offer.objects.filter(which, wanted, _sync_enabled_accounts())
        .exclude(allegro_id__isnull=True)
        .values_list("pk", "account_id")
    )
    queued = offers_queue(rows=rows, reason=reason or ", ".join(sorted(fields)))
    return Queued(count=queued, flush_countdown=flush_schedule() if queued else None)


def offers_queue(*, rows: list[tuple[int, int]], reason: str = "") -> int:
    """Upsert (offer id, account id) pairs into the queue in one statement per 1000 rows."""
    if not rows:
        return 0
    now = timezone.now()
    OfferSyncQueue.objects.bulk_create(
        [
            OfferSyncQueue(offer_id=pk, account_id=account_id, reason=reason[:200], queued_at=now)
            for pk, account_id in rows
        ],
        update_conflicts=True,
        unique_fields=["offer"],
        update_fields=["queued_at", "reason"],
        batch_size=1000,
    )
    return len(rows)


def flush_schedule(*, delay: float | None = None) -> float | None:
    """Open a flush window of ``delay`` seconds (default: the debounce) unless one is already open.

    Returns the countdown of the flush task the caller must enqueue after commit, or None when a flush is
    already scheduled within the window (that flush will see the new rows) or automatic flushing is off."""
    delay = debounce_seconds() if delay is None else delay
    if delay is None:
        return None
    now = timezone.now()
    until = now + timedelta(seconds=delay)
    moved = SyncMarker.objects.filter(name="flush", until__lt=now).update(until=until)
    if not moved:
        try:
            with transaction.atomic():
                SyncMarker.objects.create(name="flush", until=until)
        except IntegrityError:
            return None  # the row exists and its window is still open: that flush will see our rows
    return delay
