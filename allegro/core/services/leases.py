"""Short leases on work, renewed by a heartbeat while their holder works.

A lease lasts ``ALLEGRO_LEASE_SECONDS`` (30 s by default, never more than 60) and is renewed every third of
that by a thread of the holder's own process. When the holder dies (SIGKILL, OOM, a lost machine) nothing
renews it and the next worker takes the work over one lease later at most — a sync lock held for 15 minutes
by a dead worker kept prices and stock from reaching Allegro and let it sell units the shop no longer had.

A holder that lost its lease must stop before its next write: ``HeldLease.check()`` raises ``LeaseLost``
when the heartbeat failed or could not renew in time (the holder's own monotonic clock decides, so a
paused process does not trust a lease that has run out meanwhile); ``HeldLease.fence()`` renews the lease
with a conditional UPDATE and is meant to run inside the transaction of the write it guards, so the write
commits only while the lease is still this holder's.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from allegro.core.models import Lease

log = logging.getLogger(__name__)

# The leases the current context holds: every Allegro client built for an account checks them before each write
# (``leases_check_held``), so no code path under a lease can write after losing it. Threads a holder starts for
# its work must carry them over (``leases_carry``), as contextvars do not follow into new threads.
_held: contextvars.ContextVar[tuple[HeldLease, ...]] = contextvars.ContextVar("allegro_held_leases", default=())

MAX_LEASE_SECONDS = 60.0


class LeaseBusy(Exception):
    """Another live holder has the lease."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class LeaseLost(Exception):
    """The lease ran out or was taken over while its holder was working: stop before the next write."""


def lease_seconds() -> float:
    seconds = float(getattr(settings, "ALLEGRO_LEASE_SECONDS", 30))
    return max(1.0, min(seconds, MAX_LEASE_SECONDS))


class HeldLease:
    """The holder's side of a lease: ``check()`` before each write, ``fence()`` inside a write's transaction."""

    def __init__(self, *, key: str, owner: str, seconds: float, taken_over: bool) -> None:
        self.key = key
        self.owner = owner
        self.seconds = seconds
        self.taken_over = taken_over
        self.on_lost: Callable[[], None] | None = None
        self._lost = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._valid_until = time.monotonic() + seconds - self._margin

    @property
    def _margin(self) -> float:
        # Stop a little before the lease runs out on the database's clock: time passes between the renewal and
        # the write it guards.
        return min(5.0, self.seconds / 4)

    @property
    def lost(self) -> bool:
        if not self._lost.is_set() and time.monotonic() > self._valid_until:
            self._mark_lost()
        return self._lost.is_set()

    def check(self) -> None:
        """Raise ``LeaseLost`` when this holder may no longer write."""
        if self.lost:
            raise LeaseLost(self.key)

    def fence(self) -> None:
        """Renew now with a conditional UPDATE (inside the caller's transaction, if any); raise ``LeaseLost``."""
        self.check()
        if not self._renew():
            self._mark_lost()
            raise LeaseLost(self.key)

    def _renew(self) -> bool:
        started = time.monotonic()
        renewed = Lease.objects.filter(key=self.key, owner=self.owner).update(
            expires_at=timezone.now() + timedelta(seconds=self.seconds)
        )
        if renewed:
            self._valid_until = started + self.seconds - self._margin
        return bool(renewed)

    def _mark_lost(self) -> None:
        if self._lost.is_set():
            return
        self._lost.set()
        log.warning("lease %s lost by %s", self.key, self.owner[:8])
        if self.on_lost is not None:
            self.on_lost()

    def _heartbeat(self) -> None:
        interval = self.seconds / 3
        try:
            while not self._done.wait(interval):
                try:
                    if not self._renew():
                        self._mark_lost()
                        return
                except DatabaseError:
                    # A busy database (SQLite's single writer) or a dropped connection: try again at the next
                    # beat; ``lost`` turns true by itself once the lease could have run out.
                    log.warning("lease %s: renewal failed, retrying", self.key, exc_info=True)
                    connection.close()
                if self.lost:
                    return
        finally:
            connection.close()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._heartbeat, name=f"lease-{self.key}", daemon=True)
        self._thread.start()

    def _stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(self.seconds)


def _row(key: str) -> None:
    if Lease.objects.filter(key=key).exists():
        return
    try:
        with transaction.atomic():
            Lease.objects.create(key=key)
    except IntegrityError:
        pass  # created by a concurrent holder meanwhile


def lease_acquire(*, key: str, seconds: float | None = None) -> HeldLease:
    """Take the lease on ``key`` or raise ``LeaseBusy``; no heartbeat (see ``lease_hold``)."""
    seconds = lease_seconds() if seconds is None else max(1.0, min(float(seconds), MAX_LEASE_SECONDS))
    _row(key)
    owner = uuid.uuid4().hex
    now = timezone.now()
    values = {"owner": owner, "expires_at": now + timedelta(seconds=seconds), "acquired_at": now}
    free = Q(owner="") | Q(expires_at__isnull=True)
    if Lease.objects.filter(free, key=key).update(**values, taken_over=False):
        return HeldLease(key=key, owner=owner, seconds=seconds, taken_over=False)
    # The holder stopped renewing: a dead worker (a live one renews every third of the lease).
    if Lease.objects.filter(key=key, expires_at__lt=now).update(**values, taken_over=True):
        log.warning("lease %s taken over from a holder that stopped renewing it", key)
        return HeldLease(key=key, owner=owner, seconds=seconds, taken_over=True)
    raise LeaseBusy(key)


def lease_release(*, lease: HeldLease) -> None:
    """Give the lease back (only if it is still this holder's)."""
    lease._stop()
    Lease.objects.filter(key=lease.key, owner=lease.owner).update(owner="", expires_at=None)


@contextmanager
def lease_hold(*, key: str, seconds: float | None = None) -> Iterator[HeldLease]:
    """``with lease_hold(key=...) as lease:`` — hold ``key`` while the block runs, renewed by a heartbeat thread.

    Raises ``LeaseBusy`` when a live holder has it. The block must call ``lease.check()`` (or ``fence()``)
    before each write; the lease is released when the block ends, however it ends.
    """
    lease = lease_acquire(key=key, seconds=seconds)
    lease._start()
    token = _held.set((*_held.get(), lease))
    try:
        yield lease
    finally:
        _held.reset(token)
        lease_release(lease=lease)


def leases_check_held() -> None:
    """Raise ``LeaseLost`` if any lease the current context holds was lost (called before every Allegro write)."""
    for lease in _held.get():
        lease.check()


def leases_held() -> tuple[HeldLease, ...]:
    """The leases of the current context, to hand to worker threads with ``leases_carry``."""
    return _held.get()


@contextmanager
def leases_carry(leases: tuple[HeldLease, ...]) -> Iterator[None]:
    """Inside a worker thread: the writes it makes are guarded by the leases of the thread that started it."""
    token = _held.set(leases)
    try:
        yield
    finally:
        _held.reset(token)
