"""Reads of the listing room."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from allegro.core.models import Lease
from allegro.listing.models import ListingJob

# A job that was never started this long after it was recorded lost its task (the broker was away when the
# admin page enqueued it, or the message went with a killed worker).
PENDING_GRACE = timedelta(minutes=2)


def listing_jobs_unattended() -> list[int]:
    """Unfinished jobs no live run works on: running or cancelled with no live lease (their run died with its
    worker: a SIGKILL, the OOM killer, a lost machine), or still pending well after they were recorded.

    A killed worker acknowledges nothing and puts nothing back: on Redis the job's message waits in the unacked
    index for the broker's visibility timeout (hours), on the filesystem broker it is gone. Without a new task
    such a job would stay "running" for good."""
    now = timezone.now()
    unfinished = ListingJob.objects.filter(finished_at__isnull=True).filter(
        status__in=[ListingJob.Status.RUNNING, ListingJob.Status.CANCELLED]
    ) | ListingJob.objects.filter(
        finished_at__isnull=True, status=ListingJob.Status.PENDING, created_at__lt=now - PENDING_GRACE
    )
    ids = list(unfinished.order_by("pk").values_list("pk", flat=True)[:100])
    live = set(
        Lease.objects.filter(key__in=[f"listing:{pk}" for pk in ids], expires_at__gte=now)
        .exclude(owner="")
        .values_list("key", flat=True)
    )
    return [pk for pk in ids if f"listing:{pk}" not in live]
