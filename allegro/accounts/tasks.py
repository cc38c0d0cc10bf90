from celery import shared_task

from allegro.accounts.services.accounts import accounts_refresh_expiring


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def accounts_refresh_tokens() -> int:
    """Refresh tokens that expire within the hour (idempotent: a fresh token is left alone)."""
    return accounts_refresh_expiring()
