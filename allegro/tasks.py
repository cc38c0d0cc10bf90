"""Celery tasks: thin wrappers taking ids, never secrets (RELIABILITY.md rule 7)."""

from celery import shared_task
from django.utils import timezone

from allegro.models import WorkerHeartbeat
from allegro.services.accounts import accounts_refresh_expiring


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Scheduled by beat every minute; when it runs, both beat and a worker are alive."""
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"seen_at": timezone.now()})


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def accounts_refresh_tokens() -> int:
    """Refresh tokens that expire within the hour (idempotent: a fresh token is left alone)."""
    return accounts_refresh_expiring()


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def event_log_prune_old() -> int:
    """Daily: delete event log entries older than ALLEGRO_EVENT_LOG_RETENTION_DAYS (90); idempotent."""
    from allegro.services.offers import event_log_prune

    return event_log_prune()


# Celery autodiscovers this module only: importing the other task modules registers their tasks.
from allegro import tasks_listing, tasks_orders, tasks_sync  # noqa: E402,F401
