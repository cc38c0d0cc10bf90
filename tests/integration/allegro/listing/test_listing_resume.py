"""Beat's resume of mass listings: a job whose run died with its worker (its lease lapsed) gets a new task, a job a
live run holds or one just recorded does not."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from allegro.core.models import Lease
from allegro.listing.models import ListingJob
from allegro.listing.selectors import listing_jobs_unattended
from allegro.listing.tasks import listing_jobs_resume

pytestmark = pytest.mark.django_db


def _job(account, status, *, age=timedelta(0), finished=False, lease=None):
    job = ListingJob.objects.create(account=account, status=status, total=3)
    ListingJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - age, finished_at=timezone.now() if finished else None
    )
    if lease is not None:
        Lease.objects.create(key=f"listing:{job.pk}", owner="a-run", expires_at=timezone.now() + lease)
    return job


def test_only_jobs_no_live_run_works_on_are_resumed(connected_account):
    S = ListingJob.Status
    dead = _job(connected_account, S.RUNNING, lease=timedelta(seconds=-5))  # its worker was SIGKILLed
    never_leased = _job(connected_account, S.RUNNING)  # between two slices, or killed before the lease row
    cancelled_dead = _job(connected_account, S.CANCELLED, lease=timedelta(seconds=-1))
    lost_message = _job(connected_account, S.PENDING, age=timedelta(minutes=5))
    _job(connected_account, S.RUNNING, lease=timedelta(seconds=20))  # a live run
    _job(connected_account, S.PENDING)  # just recorded: its task is on the way
    _job(connected_account, S.DONE, finished=True)
    _job(connected_account, S.RUNNING, finished=True, lease=timedelta(seconds=-5))
    expected = [dead.pk, never_leased.pk, cancelled_dead.pk, lost_message.pk]
    assert listing_jobs_unattended() == expected
    with mock.patch("allegro.listing.tasks.listing_job_run.delay") as delay:
        assert listing_jobs_resume() == 4
    assert [c.args[0] for c in delay.call_args_list] == expected
