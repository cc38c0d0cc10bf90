"""Celery tasks of the sync engine: thin, ids in. All are idempotent — commands carry stored UUIDs and
every step compares with what Allegro confirmed — so they use acks_late + reject_on_worker_lost."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from allegro.accounts.models import AllegroAccount
from allegro.sync.models import SyncJob, SyncRun
from allegro.sync.services.commands import Stop
from allegro.sync.services.jobs import sync_job_run
from allegro.sync.services.queue import flush_schedule
from allegro.sync.services.steps import sync_flush, sync_scheduled

IDEMPOTENT = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True}


def _eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


@shared_task(bind=True, max_retries=8, **IDEMPOTENT)
def sync_flush_task(self, account_id: int | None = None) -> None:
    """The debounced flush of queued offers (also the 30 s safety net of the beat)."""
    account = AllegroAccount.objects.filter(pk=account_id).first() if account_id else None
    try:
        runs = sync_flush(account=account)
    except Stop as exc:
        if _eager():
            return
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries))
    if any(r.status == SyncRun.Status.SKIPPED for r in runs) and not _eager():
        countdown = flush_schedule(delay=3.0)  # another sync held the lock: try again shortly
        if countdown is not None:
            sync_flush_enqueue(countdown=countdown)


def sync_flush_enqueue(*, countdown: float) -> None:
    """Enqueue the debounced flush after commit (``flush_schedule`` decided that one is due in ``countdown`` s)."""
    transaction.on_commit(lambda: sync_flush_task.apply_async(countdown=countdown))


def _scheduled(task, step: str) -> None:
    try:
        sync_scheduled(step=step)
    except Stop as exc:
        if _eager():
            return
        raise task.retry(exc=exc, countdown=min(300, 10 * 2**task.request.retries))


@shared_task(bind=True, max_retries=5, **IDEMPOTENT)
def sync_offer_events_task(self) -> None:
    """Beat, every minute: offer events of every account with a sync switch on."""
    _scheduled(self, "events")


@shared_task(bind=True, max_retries=5, **IDEMPOTENT)
def sync_reconcile_task(self) -> None:
    """Beat, hourly: reconciliation of every account with a price/stock/closing switch on."""
    _scheduled(self, "reconcile")


@shared_task(bind=True, max_retries=5, **IDEMPOTENT)
def sync_renew_task(self) -> None:
    """Beat, every 5 minutes: renewal of ended offers on accounts with "renew ended offers" on."""
    _scheduled(self, "renew")


@shared_task(**IDEMPOTENT)
def sync_job_run_task(job_id: int) -> None:
    """ "Synchronizuj aukcje" (the dashboard's button, its page, "Importuj zamówienia teraz"): the job's accounts
    one after another; a redelivered copy skips the accounts that finished."""
    job = SyncJob.objects.filter(pk=job_id).select_related("actor").first()
    if job is None or job.finished_at is not None:
        return
    sync_job_run(job=job)


@shared_task(**IDEMPOTENT)
def sync_relist_task(offer_ids: list[int], actor_id: int | None = None, options: dict | None = None) -> None:
    """The mass "Wystaw ponownie" started from the offers list (idempotent: relisting an active offer is a no-op)."""
    from allegro.offers.models import Offer
    from allegro.sync.services.renew import offers_relist

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    options = options or {}
    offers_relist(
        offers=Offer.objects.filter(pk__in=offer_ids),
        actor=actor,
        update_prices=bool(options.get("update_prices", True)),
        update_quantities=bool(options.get("update_quantities", True)),
        update_descriptions=bool(options.get("update_descriptions", False)),
        remove_archived=bool(options.get("remove_archived", False)),
    )
