"""Reads of the core room."""

from datetime import datetime, timedelta

from allegro.core.models import WorkerHeartbeat

HEARTBEAT_NAME = "worker"
#: Beat schedules the heartbeat task every 60 s; older than this, at least one heartbeat is missing.
HEARTBEAT_STALE_AFTER = timedelta(minutes=2)


def worker_heartbeat_last_seen() -> datetime | None:
    """When a worker last ran the heartbeat task that beat schedules (None: never)."""
    return WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).values_list("seen_at", flat=True).first()
