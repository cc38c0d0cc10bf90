"""Reads of the core room."""

from datetime import datetime, timedelta

from allegro.core.models import WorkerHeartbeat

HEARTBEAT_NAME = "worker"
#: Beat schedules the heartbeat task every 20 s; a minute without one means two were missed in a row, so the
#: worker or beat is down (one late heartbeat on a busy worker does not raise the banner).
HEARTBEAT_STALE_AFTER = timedelta(minutes=1)


def worker_heartbeat_last_seen() -> datetime | None:
    """When a worker last ran the heartbeat task that beat schedules (None: never)."""
    return WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).values_list("seen_at", flat=True).first()
