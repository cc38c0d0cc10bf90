"""Celery tasks: thin wrappers taking ids, never secrets."""

from celery import shared_task
from django.utils import timezone

from allegro.core.models import WorkerHeartbeat


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Scheduled by beat every 20 s; when it runs, both beat and a worker are alive."""
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"seen_at": timezone.now()})


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def event_log_prune_old() -> int:
    """Daily: delete event log entries older than ALLEGRO_EVENT_LOG_RETENTION_DAYS (90); idempotent."""
    from allegro.core.services.events import event_log_prune

    return event_log_prune()
