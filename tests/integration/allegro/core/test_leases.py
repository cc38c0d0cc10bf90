"""Leases on work: one holder at a time, renewed by a heartbeat while it works, taken over one lease after a
holder dies (SIGKILL, not an exception), and a holder that lost its lease stops before writing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from allegro.core.models import Lease
from allegro.core.services.leases import LeaseBusy, LeaseLost, lease_acquire, lease_hold, lease_release, lease_seconds

ROOT = Path(__file__).resolve().parents[4]

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_holder_at_a_time_and_free_again_after_release():
    with lease_hold(key="sync:1", seconds=5) as first:
        with pytest.raises(LeaseBusy):
            lease_acquire(key="sync:1", seconds=5)
        assert not first.taken_over
        first.check()
        with lease_hold(key="sync:2", seconds=5):  # another key is independent
            pass
    with lease_hold(key="sync:1", seconds=5) as again:
        assert not again.taken_over


def test_heartbeat_keeps_a_working_holder_ahead_of_its_lease():
    with lease_hold(key="import:1", seconds=1.5) as lease:
        deadline = time.monotonic() + 4  # well past two leases
        while time.monotonic() < deadline:
            with pytest.raises(LeaseBusy):
                lease_acquire(key="import:1", seconds=1.5)
            lease.check()
            time.sleep(0.3)
        assert not lease.lost


def test_a_holder_that_stopped_renewing_is_taken_over_and_may_not_write():
    dead = lease_acquire(key="listing:7", seconds=1)  # no heartbeat: as if its process had frozen
    time.sleep(1.3)
    successor = lease_acquire(key="listing:7", seconds=5)
    try:
        assert successor.taken_over
        assert Lease.objects.get(key="listing:7").taken_over
        with pytest.raises(LeaseLost):
            dead.check()  # its own clock says the lease ran out
        dead._valid_until = time.monotonic() + 60  # even a holder whose clock lies is fenced by the database
        with pytest.raises(LeaseLost), transaction.atomic():
            dead.fence()
        successor.fence()
    finally:
        lease_release(lease=successor)
        lease_release(lease=dead)  # releasing a lost lease leaves the successor's alone
    assert Lease.objects.get(key="listing:7").owner == ""


def test_release_by_a_lost_holder_leaves_the_new_holder_in_place():
    dead = lease_acquire(key="sync:9", seconds=1)
    time.sleep(1.2)
    successor = lease_acquire(key="sync:9", seconds=5)
    lease_release(lease=dead)
    assert Lease.objects.get(key="sync:9").owner == successor.owner
    lease_release(lease=successor)


def test_leases_are_never_longer_than_a_minute(settings):
    settings.ALLEGRO_LEASE_SECONDS = 900
    assert lease_seconds() == 60
    settings.ALLEGRO_LEASE_SECONDS = 30
    assert lease_seconds() == 30


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )


def test_a_holder_killed_with_sigkill_blocks_others_for_one_lease_at_most():
    seconds = 3.0
    holder = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("lease_holder.py")), "sync:42", str(seconds)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _database_url(), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        time.sleep(seconds * 1.5)  # the heartbeat keeps a live holder's lease
        with pytest.raises(LeaseBusy):
            lease_acquire(key="sync:42", seconds=seconds)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        killed_at = time.monotonic()
        while True:
            try:
                lease = lease_acquire(key="sync:42", seconds=seconds)
                break
            except LeaseBusy:
                assert time.monotonic() - killed_at < seconds + 1.5, "the dead holder's lease outlived one lease"
                time.sleep(0.1)
        assert lease.taken_over
        lease_release(lease=lease)
    finally:
        if holder.poll() is None:
            holder.kill()
