"""Celery task of the mass listing: thin, the job id in, the service does the work.

A run is idempotent (done items are left alone; an item's offer row is recorded before the POST and
``offer_publish`` looks it up by external.id before creating anything), so ``acks_late`` +
``reject_on_worker_lost`` are safe: a job interrupted by a lost worker is picked up again where it stopped.
A long job runs in slices shorter than the task time limit: when a slice's budget runs out with items left,
the task enqueues itself again. One run works on a job at a time (a lease renewed by a heartbeat); a redelivered copy
that finds the lease held comes back a little later. A job whose run died with its worker gets a new task from
``listing_jobs_resume`` (beat, every minute), which takes it over once the dead run's lease has lapsed.
"""

from celery import shared_task
from django.conf import settings


def _slice_seconds() -> float:
    # Stay well inside the soft time limit so a slice ends on its own, between items.
    soft = getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60) or 25 * 60
    return float(getattr(settings, "ALLEGRO_LISTING_SLICE_SECONDS", max(60.0, soft - 120.0)))


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def listing_job_run(job_id: int) -> None:
    """Run (or resume) mass listing ``job_id``."""
    from allegro.listing.services.jobs import BUSY, LEASE_RENEW_SECONDS, MORE, listing_job_fail
    from allegro.listing.services.jobs import listing_job_run as run

    try:
        outcome = run(job_id=job_id, time_budget=_slice_seconds())
    except Exception as exc:
        listing_job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        raise
    if outcome == MORE:
        listing_job_run.delay(job_id)
    elif outcome == BUSY:  # another run holds the job: check again when its lease could have lapsed
        listing_job_run.apply_async((job_id,), countdown=3 * LEASE_RENEW_SECONDS)


@shared_task(ignore_result=True)
def listing_jobs_resume() -> int:
    """Beat (every minute): a new run for each unfinished job that no live run works on (its worker was killed;
    the killed task's message is not delivered again for hours, if ever). A copy that meets a live run answers
    "busy", so a resume that comes too early costs one task."""
    from allegro.listing.selectors import listing_jobs_unattended

    ids = listing_jobs_unattended()
    for job_id in ids:
        listing_job_run.delay(job_id)
    return len(ids)
