"""Celery tasks of the returns room: thin, ids in, the service does the work.

The return import is idempotent (one return per Allegro id, one stock movement per returned item) and holds a
lease per account; a refund re-sends its stored command id; a claim searches Allegro before filing again. So
all of them may run twice: ``acks_late`` + ``reject_on_worker_lost`` are safe on them.
"""

from celery import shared_task

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.integration.client import AllegroRateLimited, AllegroRetryLater

RETRY = {
    "autoretry_for": (AllegroRetryLater, AllegroRateLimited),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(ignore_result=True)
def returns_import_all() -> int:
    """Beat (every 5 minutes): one return import per connected account."""
    ids = list(AllegroAccount.objects.filter(state=ConnectionState.CONNECTED).values_list("pk", flat=True))
    for account_id in ids:
        returns_import.delay(account_id)
    return len(ids)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def returns_import(account_id: int) -> None:
    """Import the customer returns of one account (skips quietly when another import of it is running)."""
    from allegro.returns.services.returns import returns_import_account

    account = AllegroAccount.objects.filter(pk=account_id, state=ConnectionState.CONNECTED).first()
    if account is not None:
        returns_import_account(account=account)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def refund_send(refund_id: int) -> None:
    """Send a recorded refund to Allegro (the same command id on every attempt: never two refunds)."""
    from allegro.returns.models import Refund
    from allegro.returns.services.refunds import refund_send as send

    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is not None:
        send(refund=refund)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def refund_claim_send(claim_id: int) -> None:
    """File a recorded commission refund claim on Allegro (a repeat adopts the claim already filed)."""
    from allegro.returns.models import RefundClaim
    from allegro.returns.services.claims import refund_claim_send as send

    claim = RefundClaim.objects.filter(pk=claim_id).first()
    if claim is not None:
        send(claim=claim)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def refund_claims_auto_all() -> int:
    """Beat (hourly): every account's "after 7 days without payment" rule, and the claims' statuses read back."""
    from allegro.returns.services.claims import refund_claims_auto_all as run

    return run()
