"""Celery tasks of the offers room: thin, ids in."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.integration.client import AllegroRateLimited, AllegroRetryLater
from allegro.offers.models import Offer
from allegro.offers.services.promotions import promotions_send


@shared_task(
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(AllegroRetryLater, AllegroRateLimited),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def offer_promotions_send_task(account_id: int, offer_ids: list[int], actor_id: int | None = None,
                               cost: dict | None = None) -> None:  # fmt: skip
    """Send the paid promotion options the staff member confirmed after seeing their cost. Idempotent: a stored
    command is resent with its UUID, and offers whose packages Allegro already has are left out."""
    account = AllegroAccount.objects.filter(pk=account_id, state=ConnectionState.CONNECTED).first()
    if account is None:
        return
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    promotions_send(account=account, offers=Offer.objects.filter(pk__in=offer_ids), actor=actor, cost=cost)


@shared_task(ignore_result=True)
def offer_auctions_refresh_all() -> int:
    """Beat: one refresh of the auctions' bids per connected account."""
    ids = list(AllegroAccount.objects.filter(state=ConnectionState.CONNECTED).values_list("pk", flat=True))
    for account_id in ids:
        offer_auctions_refresh.delay(account_id)
    return len(ids)


@shared_task(
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,  # the refresh only overwrites what Allegro shows: safe to run twice
    autoretry_for=(AllegroRetryLater, AllegroRateLimited),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def offer_auctions_refresh(account_id: int) -> None:
    """Read the current price and bidders of one account's auctions."""
    from allegro.offers.services.auctions import offer_auctions_refresh as refresh

    account = AllegroAccount.objects.filter(pk=account_id, state=ConnectionState.CONNECTED).first()
    if account is None:
        return  # deleted or waiting for re-authorisation: nothing to retry
    refresh(account=account)
