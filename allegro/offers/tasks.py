"""Celery tasks of the offers room: thin, ids in, the service does the work."""

from celery import shared_task

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.integration.client import AllegroRateLimited, AllegroRetryLater


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
