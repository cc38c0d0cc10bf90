"""Celery tasks of the shipping room: thin, ids in, the service does the work."""

from celery import shared_task

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.integration.client import AllegroRateLimited, AllegroRetryLater


@shared_task(ignore_result=True)
def shipping_rates_import_all() -> int:
    """Beat: the price lists each connected account keeps on Allegro show under "Koszty dostawy" without a
    manual "Pobierz cenniki z Allegro"."""
    ids = list(AllegroAccount.objects.filter(state=ConnectionState.CONNECTED).values_list("pk", flat=True))
    for account_id in ids:
        shipping_rates_import.delay(account_id)
    return len(ids)


@shared_task(
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,  # creates or updates local copies by Allegro id: safe to run twice
    autoretry_for=(AllegroRetryLater, AllegroRateLimited),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def shipping_rates_import(account_id: int) -> None:
    """Fetch one account's delivery price lists from Allegro."""
    from allegro.core.services.leases import LeaseBusy, lease_hold
    from allegro.shipping.services.shipping import shipping_rate_set_import

    account = AllegroAccount.objects.filter(pk=account_id, state=ConnectionState.CONNECTED).first()
    if account is None:
        return  # deleted or waiting for re-authorisation: nothing to retry
    try:
        with lease_hold(key=f"shipping-rates-import:{account.pk}") as lease:
            lease.check()
            shipping_rate_set_import(account=account)
    except LeaseBusy:
        return  # another worker is fetching this account's price lists now
